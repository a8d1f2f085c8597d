// App Service Authentication (Easy Auth v2) on the Function App, with Microsoft Entra ID.
//
// Every request needs a signed-in user except the three anonymous routes of the contract;
// an anonymous call gets 401 (no redirect: the portal's script sends the browser to
// /.auth/login/aad itself). The platform injects X-MS-CLIENT-PRINCIPAL with the token's
// claims (oid, partner_id, roles, preferred_username, name), which the API reads.
param functionAppName string

@description('Application (client) id of the app registration users sign in to.')
param clientId string

@description('Tenant of the app registration.')
param tenantId string

// Exactly the anonymous routes of CONTRACT.md §2: health probe, API description, and the
// marketplace intake (protected by its function key instead of a user).
var anonymousPaths = [
  '/api/health'
  '/api/openapi.json'
  '/api/marketplace/leads'
]

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov reads this config child as if it were the site; these findings do not apply:
  //checkov:skip=CKV_AZURE_13: this resource is the App Service Authentication setting itself
  //checkov:skip=CKV_AZURE_222: public by design: Partner Center posts leads and partners sign in from the internet; Easy Auth and the function key guard it
  parent: functionApp
  //checkov:skip=CKV_AZURE_63: file-system HTTP logs do not exist on Flex Consumption; requests are logged to Application Insights
  //checkov:skip=CKV_AZURE_65: detailed error pages are a file-system log, not on Flex Consumption; errors go to Application Insights
  //checkov:skip=CKV_AZURE_66: failed request tracing is a file-system log, not on Flex Consumption; failures go to Application Insights
  name: 'authsettingsV2'
  //checkov:skip=CKV_AZURE_80: Python app, no .NET Framework
  //checkov:skip=CKV_AZURE_88: Flex Consumption runs from a blob package; no Azure Files share is mounted
  properties: {
    platform: {
      enabled: true
      runtimeVersion: '~1'
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: anonymousPaths
    }
    httpSettings: {
      requireHttps: true
      forwardProxy: {
        convention: 'NoProxy'
      }
      routes: {
        apiPrefix: '/.auth'
      }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: clientId
          // Not a secret: this setting names the managed identity whose token is the
          // federated client assertion of the app registration (docs/DEPLOY.md, step 2).
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            clientId
            'api://${clientId}'
          ]
          defaultAuthorizationPolicy: {
            allowedPrincipals: {}
          }
        }
        login: {
          loginParameters: [
            'scope=openid profile email offline_access'
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: true
      }
      preserveUrlFragmentsForLogins: true
      cookieExpiration: {
        convention: 'FixedTime'
        timeToExpiration: '08:00:00'
      }
      nonce: {
        validateNonce: true
      }
    }
  }
}

// No FTP or SCM basic-auth publishing credentials: azd deploys with an Entra token.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output excludedPaths array = anonymousPaths
