// The Microsoft Entra app registration partner users sign in to, declared with the Microsoft
// Graph Bicep extension (infra/bicepconfig.json) so `azd up` needs no `az ad` steps:
//
//   application          the registration: the two app roles of CONTRACT.md §2, the Easy Auth
//                        redirect URI of the Function App, ID tokens, acceptMappedClaims (the
//                        `partner_id` claims mapping policy needs it, docs/DEPLOY.md)
//   federated credential the app's user-assigned managed identity is the registration's
//                        credential (Easy Auth's OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID): no secret
//   service principal    with assignment required, so only users given a role can sign in
//   permission grant     tenant-wide consent to the sign-in scopes `openid profile email`, so no
//                        user sees a consent prompt
//
// The deploying user needs a Microsoft Entra role that may create applications and grant consent
// (Cloud Application Administrator or Application Administrator, docs/DEPLOY.md).
extension microsoftGraphV1

@description('Immutable key of the registration in the tenant; redeploying updates the same app.')
param uniqueName string

@description('Name users see on the sign-in page and under Enterprise applications.')
param displayName string

@description('Easy Auth callback of the Function App: https://<default host name>/.auth/login/aad/callback.')
param redirectUri string

@description('Object (principal) id of the managed identity that signs in as the registration.')
param managedIdentityPrincipalId string

@description('Tenant whose token issuer the federated credential trusts.')
param tenantId string

// Microsoft Graph's well-known application id and its delegated sign-in scopes.
var microsoftGraphAppId = '00000003-0000-0000-c000-000000000000'
var signInScopes = {
  openid: '37f7f235-527c-4136-accd-4a02d197296e'
  profile: '14dad69e-099b-42c9-810b-d002981feec1'
  email: '64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0'
}

// Stable role ids: derived from the registration's key, so a redeploy never re-creates a role
// (Entra refuses to change or delete an enabled role that users hold).
var appRoles = [
  {
    value: 'ReferralsAdmin'
    displayName: 'Referrals admin'
    description: 'Works leads and manages who receives lead emails.'
  }
  {
    value: 'BusinessProfileAdmin'
    displayName: 'Business profile admin'
    description: 'Works leads.'
  }
]

resource microsoftGraph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: microsoftGraphAppId
}

resource application 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  web: {
    redirectUris: [
      redirectUri
    ]
    implicitGrantSettings: {
      enableIdTokenIssuance: true
      enableAccessTokenIssuance: false
    }
  }
  api: {
    acceptMappedClaims: true
    requestedAccessTokenVersion: 2
  }
  appRoles: [
    for role in appRoles: {
      id: guid(uniqueName, 'appRole', role.value)
      value: role.value
      displayName: role.displayName
      description: role.description
      allowedMemberTypes: [
        'User'
      ]
      isEnabled: true
    }
  ]
  requiredResourceAccess: [
    {
      resourceAppId: microsoftGraphAppId
      resourceAccess: [
        {
          id: signInScopes.openid
          type: 'Scope'
        }
        {
          id: signInScopes.profile
          type: 'Scope'
        }
        {
          id: signInScopes.email
          type: 'Scope'
        }
      ]
    }
  ]

  resource managedIdentityCredential 'federatedIdentityCredentials@v1.0' = {
    name: '${uniqueName}/app-managed-identity'
    description: 'The Function App\'s managed identity signs users in for this registration (no client secret).'
    audiences: [
      'api://AzureADTokenExchange'
    ]
    issuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
    subject: managedIdentityPrincipalId
  }
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: application.appId
  appRoleAssignmentRequired: true
}

resource signInConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = {
  clientId: servicePrincipal.id
  resourceId: microsoftGraph.id
  consentType: 'AllPrincipals'
  scope: 'openid profile email'
}

output clientId string = application.appId
output applicationObjectId string = application.id
output servicePrincipalId string = servicePrincipal.id
output appRoleIds object = {
  ReferralsAdmin: guid(uniqueName, 'appRole', 'ReferralsAdmin')
  BusinessProfileAdmin: guid(uniqueName, 'appRole', 'BusinessProfileAdmin')
}
