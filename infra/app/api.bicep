// The Function App on the Flex Consumption plan, and every app setting the code reads.
//
// `appSettings` below is the single list of settings; tests/infra/test_bicep.py checks it
// against SETTING_NAMES in shared/config.py, so add a setting here and there together.
param name string
param location string = resourceGroup().location
param tags object = {}
param serviceName string = 'api'
param appServicePlanId string
param storageAccountName string
param deploymentStorageContainerName string
param applicationInsightsName string
param identityId string
param identityClientId string
param instanceMemoryMB int = 2048
param maximumInstanceCount int = 40
param acsEndpoint string
param emailSenderAddress string
param portalBaseUrl string
param authTenantId string
param emailDeliverabilityCheck string
param spamDomains string
param expireLeadsSchedule string
param flagOverdueSchedule string
param dailyDigestSchedule string
param dispatchEventsSchedule string
@description('Comma-separated partner ids whose leads this deployment takes in; empty = any partner.')
param intakePartnerIds string = ''

var storageSuffix = environment().suffixes.storage

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var appSettings = {
  // Host and code storage, identity-based: no AzureWebJobsStorage connection string in Azure.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: 'https://${storageAccountName}.blob.${storageSuffix}'
  AzureWebJobsStorage__queueServiceUri: 'https://${storageAccountName}.queue.${storageSuffix}'
  AzureWebJobsStorage__tableServiceUri: 'https://${storageAccountName}.table.${storageSuffix}'

  // Application Insights with local auth disabled: the connection string only locates the
  // resource, the authentication string makes the SDK send an Entra token of the identity.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'

  // Email through ACS with the managed identity (no ACS_ACCESS_KEY in Azure).
  ACS_ENDPOINT: acsEndpoint
  AZURE_CLIENT_ID: identityClientId
  EMAIL_SENDER_ADDRESS: emailSenderAddress
  PORTAL_BASE_URL: portalBaseUrl

  // Lead rules (CONTRACT.md defaults), set explicitly so an operator can see and tune them.
  EMAIL_DELIVERABILITY_CHECK: emailDeliverabilityCheck
  SPAM_DOMAINS: spamDomains
  LEAD_EXPIRY_DAYS: '14'
  URGENCY_HOURS: '72'
  INDIVIDUAL_EMAILS_PER_DAY: '10'
  INTAKE_PARTNER_IDS: intakePartnerIds

  // Timer schedules, referenced by the triggers as %NAME%.
  EXPIRE_LEADS_SCHEDULE: expireLeadsSchedule
  FLAG_OVERDUE_SCHEDULE: flagOverdueSchedule
  DAILY_DIGEST_SCHEDULE: dailyDigestSchedule
  DISPATCH_EVENTS_SCHEDULE: dispatchEventsSchedule

  // App Service Authentication (platform, not read by the code): sign-in uses the managed
  // identity as a federated credential of the app registration instead of a client secret,
  // and only accepts tokens of the partner's tenant.
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId
  WEBSITE_AUTH_AAD_ALLOWED_TENANTS: authTenantId
}

module functionApp 'br/public:avm/res/web/site:0.9.0' = {
  name: '${serviceName}-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    serverFarmResourceId: appServicePlanId
    httpsOnly: true
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [
        identityId
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: 'https://${storageAccountName}.blob.${storageSuffix}/${deploymentStorageContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    appSettingsKeyValuePairs: appSettings
  }
}

output name string = functionApp.outputs.name
output resourceId string = functionApp.outputs.resourceId
