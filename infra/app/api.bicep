// The Function App on the Flex Consumption plan, and every app setting the code reads.
//
// `appSettings` below is the single list of settings; tests/infra/test_bicep.py checks it
// against SETTING_NAMES in shared/config.py, so add a setting here and there together.
// The settings are written after the site exists (`siteSettings`), because PORTAL_BASE_URL is
// built from the host name the site reports, which is not always `<name>` under the classic domain.
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
@description('Base of the links in emails; empty: the portal this app serves at /api/portal.')
param portalBaseUrl string = ''

@description('Concurrent HTTP requests one instance takes before Flex Consumption adds another.')
param httpPerInstanceConcurrency int = 16

@description('Python worker threads per instance: the synchronous functions run on this pool.')
param pythonThreadCount int = 24
param authTenantId string
param emailDeliverabilityCheck string
param spamDomains string
param expireLeadsSchedule string
param flagOverdueSchedule string
param dailyDigestSchedule string
param dispatchEventsSchedule string
@description('Comma-separated partner ids whose leads this deployment takes in; empty = any partner.')
param intakePartnerIds string = ''
param partnerCenterSyncSchedule string
param partnerCenterApiUrl string = ''
param partnerCenterPartnerId string = ''
param partnerCenterAuthority string = ''
param partnerCenterClientId string = ''
param partnerCenterWebhookCertHosts string = ''
@description('Versionless URI of the Key Vault secret holding the Partner Center refresh token.')
param partnerCenterRefreshTokenSecretUri string

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
  PORTAL_BASE_URL: !empty(portalBaseUrl) ? portalBaseUrl : 'https://${functionApp.outputs.defaultHostname}/api/portal'

  // Every function is synchronous, so an instance runs at most this many invocations at once;
  // it covers the HTTP concurrency below and a queue function's batchSize + newBatchThreshold
  // (16 + 8, host.json). The worker's own default is only a handful of threads.
  PYTHON_THREADPOOL_THREAD_COUNT: string(pythonThreadCount)

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
  PARTNER_CENTER_SYNC_SCHEDULE: partnerCenterSyncSchedule

  // Partner Center Referrals (off while PARTNER_CENTER_API_URL is empty). The refresh token is a
  // Key Vault reference the platform resolves with the app's identity (keyVaultReferenceIdentity
  // below); versionless, so a new secret version is picked up without a deployment.
  PARTNER_CENTER_API_URL: partnerCenterApiUrl
  PARTNER_CENTER_PARTNER_ID: partnerCenterPartnerId
  PARTNER_CENTER_AUTHORITY: partnerCenterAuthority
  PARTNER_CENTER_CLIENT_ID: partnerCenterClientId
  PARTNER_CENTER_WEBHOOK_CERT_HOSTS: partnerCenterWebhookCertHosts
  PARTNER_CENTER_REFRESH_TOKEN: '@Microsoft.KeyVault(SecretUri=${partnerCenterRefreshTokenSecretUri})'

  // App Service Authentication (platform, not read by the code): sign-in uses the managed
  // identity as a federated credential of the app registration instead of a client secret,
  // and only accepts tokens of the partner's tenant.
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId
  WEBSITE_AUTH_AAD_ALLOWED_TENANTS: authTenantId
}

module functionApp 'br/public:avm/res/web/site:0.15.1' = {
  name: '${serviceName}-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    serverFarmResourceId: appServicePlanId
    httpsOnly: true
    // Key Vault references are resolved with the user-assigned identity (the only one the app has).
    keyVaultAccessIdentityResourceId: identityId
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
        triggers: {
          http: {
            // A portal page makes several API calls at once: let one instance take them
            // together instead of starting an instance per call (docs/DEPLOY.md).
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
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
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: name
}

// The one writer of the app settings (the module above is given none, so it writes none).
resource siteSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov reads this config child as if it were the site; these findings do not apply:
  //checkov:skip=CKV_AZURE_13: App Service Authentication is configured by app/auth.bicep on the same site
  //checkov:skip=CKV_AZURE_222: public by design: Partner Center posts leads and partners sign in from the internet; Easy Auth and the function key guard it
  //checkov:skip=CKV_AZURE_63: file-system HTTP logs do not exist on Flex Consumption; requests are logged to Application Insights
  //checkov:skip=CKV_AZURE_65: detailed error pages are a file-system log, not on Flex Consumption; errors go to Application Insights
  //checkov:skip=CKV_AZURE_66: failed request tracing is a file-system log, not on Flex Consumption; failures go to Application Insights
  //checkov:skip=CKV_AZURE_80: Python app, no .NET Framework
  //checkov:skip=CKV_AZURE_88: Flex Consumption runs from a blob package; no Azure Files share is mounted
  parent: site
  name: 'appsettings'
  properties: appSettings
}

output name string = functionApp.outputs.name
output resourceId string = functionApp.outputs.resourceId
output defaultHostname string = functionApp.outputs.defaultHostname
