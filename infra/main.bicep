// Referral leads service: everything `azd up` creates in a partner's subscription.
//
// One resource group holding a Flex Consumption Function App (API, intake queues, timers and
// the partner portal on one origin), its storage account (host state, deployment package, the
// lead tables and queues), Application Insights, Azure Communication Services Email, and one
// user-assigned managed identity that reaches all of them, plus the Microsoft Entra app
// registration partner users sign in to (Microsoft Graph Bicep extension, app/entra.bicep). No
// connection string, account key or client secret is stored anywhere: storage, App Insights,
// ACS and even the App Service Authentication sign-in (federated credential) use the managed
// identity.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to derive a short unique suffix for every resource name.')
param environmentName string

@minLength(1)
@description('Region of every regional resource. Must offer the Flex Consumption plan.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Display name of the Entra app registration users sign in to.')
param authAppDisplayName string = 'Referral leads (${environmentName})'

@description('Custom sender domain (e.g. leads.contoso.com). Empty: send from the free Azure-managed domain.')
param senderDomain string = ''

@description('Set to true once the custom sender domain\'s DNS records are verified; only then is it linked and used.')
param senderDomainVerified bool = false

@description('Local part of the sender address.')
param senderUsername string = 'DoNotReply'

@description('Where ACS keeps email data at rest.')
@allowed([
  'Africa'
  'Asia Pacific'
  'Australia'
  'Brazil'
  'Canada'
  'Europe'
  'France'
  'Germany'
  'India'
  'Japan'
  'Korea'
  'Norway'
  'Switzerland'
  'UAE'
  'UK'
  'United States'
])
param emailDataLocation string = 'Europe'

@description('Base of the links in notification emails. Empty: the portal served by the Function App.')
param portalBaseUrl string = ''

@description('NCRONTAB (UTC) of expire_leads.')
param expireLeadsSchedule string = '0 */15 * * * *'

@description('NCRONTAB (UTC) of flag_overdue_contact_requests.')
param flagOverdueSchedule string = '0 5 * * * *'

@description('NCRONTAB (UTC) of send_daily_digest.')
param dailyDigestSchedule string = '0 0 7 * * *'

@description('NCRONTAB (UTC) of the outbox dispatcher that re-sends lead events left behind.')
param dispatchEventsSchedule string = '0 */5 * * * *'

@description('NCRONTAB (UTC) of sync_partner_center, the pull of Partner Center referrals.')
param partnerCenterSyncSchedule string = '0 */5 * * * *'

@description('Root of the Partner Center API (https://api.partner.microsoft.com); empty: the Partner Center sync is off.')
param partnerCenterApiUrl string = ''

@description('The partner id whose Partner Center referrals this deployment syncs.')
param partnerCenterPartnerId string = ''

@description('Entra authority issuing Partner Center tokens (https://login.microsoftonline.com/<tenant>).')
param partnerCenterAuthority string = ''

@description('Client id of the Entra application holding Partner Center\'s delegated permission.')
param partnerCenterClientId string = ''

@description('Comma-separated hosts allowed to serve the webhook signing certificate; empty: Partner Center\'s own.')
param partnerCenterWebhookCertHosts string = ''

@description('`dns` checks that a lead\'s email domain accepts mail; `off` skips the lookup.')
@allowed([
  'dns'
  'off'
])
param emailDeliverabilityCheck string = 'dns'

@description('Extra comma-separated domains whose addresses are Spam.')
param spamDomains string = ''

@description('Comma-separated partner ids this deployment accepts leads for (INTAKE_PARTNER_IDS); empty accepts every partner.')
param intakePartnerIds string = ''

@description('Memory of one Flex Consumption instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound of Flex Consumption scale-out (cost ceiling).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Object id of the principal running azd (AZURE_PRINCIPAL_ID); gets read access to queues and tables, and may re-queue a message. Optional.')
param principalId string = ''

@description('Kind of that principal, as azd reports it (AZURE_PRINCIPAL_TYPE): a person, or a pipeline\'s service principal.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = '${abbrs.webSitesFunctions}leads-${resourceToken}'
// Key Vault names are at most 24 characters: 'kv-' + 'pc' + the 13-character token.
var keyVaultName = '${abbrs.keyVaultVaults}pc${resourceToken}'
// The secret the operator sets to the Secure Application Model refresh token (docs/DEPLOY.md);
// the app reads it through a Key Vault reference with its managed identity.
var partnerCenterRefreshTokenSecretName = 'partner-center-refresh-token'
// Flex Consumption pulls the app package from this container with the managed identity.
var deploymentStorageContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var storageAccountName = '${abbrs.storageStorageAccounts}${resourceToken}'
// Every URL comes from the host name the site reports (api.outputs.defaultHostname): it is not
// always the app's name under the classic App Service domain (regional host names, other clouds). The portal is
// served by the Function App itself, so it shares the API's origin and sign-in.
var appOrigin = 'https://${api.outputs.defaultHostname}'
var apiBaseUrl = '${appOrigin}/api'
var effectivePortalBaseUrl = !empty(portalBaseUrl) ? portalBaseUrl : '${apiBaseUrl}/portal'

// Every table and queue the code uses (shared/adapters/storage_clients.py). The code would
// create them on first use, but creating them here keeps the identity to data roles only.
var leadTables = [
  'Leads'
  'Due'
  'Notifications'
  'Partners'
  'PartnerCenterSync'
]
var leadQueueNames = [
  'marketplace-leads'
  'referrals'
  'contact-validation'
  'lead-notifications'
  'lead-events'
  'lead-backfill'
  'partner-center-referrals'
  'partner-center-writeback'
]
// The host moves a message to `<queue>-poison` after maxDequeueCount; create them up front so
// operators can watch them from the first day.
var leadQueues = [for queue in leadQueueNames: { name: queue }]
var poisonQueues = [for queue in leadQueueNames: { name: '${queue}-poison' }]

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The single identity of the app: storage, App Insights, ACS and the Easy Auth sign-in.
module apiIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'apiIdentity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}leads-${resourceToken}'
    location: location
    tags: tags
  }
}

module appServicePlan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'appServicePlan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

module storage 'br/public:avm/res/storage/storage-account:0.17.2' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    kind: 'StorageV2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // identity only: there is no account key to leak or rotate
    defaultToOAuthAuthentication: true // the portal and tools use Entra ID, never a key
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        {
          name: deploymentStorageContainerName
          publicAccess: 'None'
        }
      ]
    }
    queueServices: {
      queues: concat(leadQueues, poisonQueues)
    }
    tableServices: {
      tables: [for table in leadTables: { name: table }]
    }
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.7.0' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module monitoring 'br/public:avm/res/insights/component:0.4.1' = {
  name: 'applicationInsights'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true // ingestion only with an Entra token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)
  }
}

// Secrets of the app (the Partner Center refresh token): RBAC only, no access policies; the app's
// identity may read secrets, the operator may set them (app/rbac.bicep).
module keyVault 'br/public:avm/res/key-vault/vault:0.13.3' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: 90
    enableVaultForDeployment: false
    enableVaultForTemplateDeployment: false
    enableVaultForDiskEncryption: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

module email 'app/email.bicep' = {
  name: 'email'
  scope: rg
  params: {
    communicationServiceName: '${abbrs.communicationCommunicationServices}${resourceToken}'
    emailServiceName: '${abbrs.communicationEmailServices}${resourceToken}'
    dataLocation: emailDataLocation
    senderDomain: senderDomain
    senderDomainVerified: senderDomainVerified
    senderUsername: senderUsername
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.name
    communicationServiceName: email.outputs.communicationServiceName
    keyVaultName: keyVault.outputs.name
    managedIdentityPrincipalId: apiIdentity.outputs.principalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    appServicePlanId: appServicePlan.outputs.resourceId
    storageAccountName: storage.outputs.name
    deploymentStorageContainerName: deploymentStorageContainerName
    applicationInsightsName: monitoring.outputs.name
    identityId: apiIdentity.outputs.resourceId
    identityClientId: apiIdentity.outputs.clientId
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    acsEndpoint: email.outputs.endpoint
    emailSenderAddress: email.outputs.senderAddress
    portalBaseUrl: portalBaseUrl
    authTenantId: tenant().tenantId
    emailDeliverabilityCheck: emailDeliverabilityCheck
    spamDomains: spamDomains
    intakePartnerIds: intakePartnerIds
    expireLeadsSchedule: expireLeadsSchedule
    flagOverdueSchedule: flagOverdueSchedule
    dailyDigestSchedule: dailyDigestSchedule
    dispatchEventsSchedule: dispatchEventsSchedule
    partnerCenterSyncSchedule: partnerCenterSyncSchedule
    partnerCenterApiUrl: partnerCenterApiUrl
    partnerCenterPartnerId: partnerCenterPartnerId
    partnerCenterAuthority: partnerCenterAuthority
    partnerCenterClientId: partnerCenterClientId
    partnerCenterWebhookCertHosts: partnerCenterWebhookCertHosts
    partnerCenterRefreshTokenSecretUri: '${keyVault.outputs.uri}secrets/${partnerCenterRefreshTokenSecretName}'
  }
  // The host starts polling queues as soon as the app exists; let it find its roles in place.
  dependsOn: [
    rbac
  ]
}

// The app registration, its service principal, roles, redirect URI and the managed identity as
// its federated credential, in the tenant azd deploys to.
module entra 'app/entra.bicep' = {
  name: 'entra'
  scope: rg
  params: {
    uniqueName: 'referral-leads-${resourceToken}'
    displayName: authAppDisplayName
    redirectUri: '${appOrigin}/.auth/login/aad/callback'
    managedIdentityPrincipalId: apiIdentity.outputs.principalId
    tenantId: tenant().tenantId
  }
}

module auth 'app/auth.bicep' = {
  name: 'auth'
  scope: rg
  params: {
    functionAppName: api.outputs.name
    clientId: entra.outputs.clientId
    tenantId: tenant().tenantId
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = apiIdentity.outputs.principalId
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = apiIdentity.outputs.clientId
output API_URL string = apiBaseUrl
output MARKETPLACE_INTAKE_URL string = '${apiBaseUrl}/marketplace/leads'
// The portal; a signed-out browser is sent to sign in and back (docs/DEPLOY.md).
output PORTAL_URL string = '${apiBaseUrl}/portal/'
output PORTAL_BASE_URL string = effectivePortalBaseUrl
// The redirect URI app/entra.bicep registered (Web platform).
output AUTH_REDIRECT_URI string = '${appOrigin}/.auth/login/aad/callback'
output AUTH_CLIENT_ID string = entra.outputs.clientId
output AUTH_APP_OBJECT_ID string = entra.outputs.applicationObjectId
output AUTH_SERVICE_PRINCIPAL_ID string = entra.outputs.servicePrincipalId
output AUTH_APP_ROLE_IDS object = entra.outputs.appRoleIds
output AZURE_STORAGE_ACCOUNT string = storage.outputs.name
output ACS_ENDPOINT string = email.outputs.endpoint
output ACS_EMAIL_SERVICE_NAME string = '${abbrs.communicationEmailServices}${resourceToken}'
output EMAIL_SENDER_ADDRESS string = email.outputs.senderAddress
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output PARTNER_CENTER_REFRESH_TOKEN_SECRET_NAME string = partnerCenterRefreshTokenSecretName
output PARTNER_CENTER_WEBHOOK_URL string = '${apiBaseUrl}/partner-center/events'
output SENDER_DOMAIN_VERIFICATION_RECORDS object = email.outputs.senderDomainVerificationRecords
