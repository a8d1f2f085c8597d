// App Service Authentication (Easy Auth v2) on the Function App, with Microsoft Entra ID.
//
// Easy Auth signs users in (/.auth/login/aad), keeps their session cookie and injects
// X-MS-CLIENT-PRINCIPAL with the token's claims (oid, partner_id, roles, preferred_username,
// name); it strips that header from anything a client sends, and with it on, App Service sets
// WEBSITE_AUTH_ENABLED=true, which is what makes the code trust the header (CONTRACT §2).
//
// Unauthenticated requests are let through to the app (AllowAnonymous), which decides what a
// signed-out caller gets, as the contract says: an API route answers 401 with the error
// envelope (Easy Auth's own 401 has no body, and its login redirect would turn the portal's
// fetch calls into cross-origin redirects), the anonymous routes below answer, and a browser
// that opens the portal or a lead link is sent to /.auth/login/aad with
// post_login_redirect_uri set to the page it asked for, fragment (#/leads/<id>) included, so
// it lands on the lead after sign-in (docs/DEPLOY.md, "Signed-out lead links").
param functionAppName string

@description('Application (client) id of the app registration users sign in to.')
param clientId string

@description('Tenant of the app registration.')
param tenantId string

// The routes of CONTRACT.md §2 that need no user: health probe, API description, the marketplace
// intake (protected by its function key instead) and Partner Center's webhook events (verified by
// their signature). Easy Auth lets every path through, so these are listed for the record (and
// the tests), not enforced here.
var anonymousPaths = [
  '/api/health'
  '/api/openapi.json'
  '/api/marketplace/leads'
  '/api/partner-center/events'
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
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
      redirectToProvider: 'azureactivedirectory'
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
          // federated client assertion of the app registration (infra/app/entra.bicep).
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            clientId
          ]
          defaultAuthorizationPolicy: {
            allowedPrincipals: {}
          }
        }
        login: {
          // ID token claims only: the app never calls another API on the user's behalf, so it
          // asks for no refresh token (no offline_access).
          loginParameters: [
            'scope=openid profile email'
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

output anonymousPaths array = anonymousPaths
