// Role assignments of the app's user-assigned managed identity: the least it needs.
//
//   storage account   Storage Blob Data Owner         host locks/timers state and the Flex
//                                                      Consumption deployment package (as in
//                                                      the Azure Functions Flex samples)
//                     Storage Queue Data Contributor  lead queues and their -poison twins
//                     Storage Table Data Contributor  Leads, Due, Notifications
//   App Insights      Monitoring Metrics Publisher    Entra-authenticated telemetry ingestion
//   ACS               custom "ACS Email Sender"       send email with an Entra token
//
// ACS Email with Entra ID: Microsoft documents the built-in "Communication and Email Service
// Owner" role, or a custom role with Microsoft.Communication/CommunicationServices/Read,
// .../CommunicationServices/Write and Microsoft.Communication/EmailServices/write to limit a
// sender to what sending needs (ACS docs, "Use a custom role to limit permissions granted to
// the Microsoft Entra Application"). The built-in role can also list and regenerate the
// access keys, so the custom role is used here.
param storageAccountName string
param appInsightsName string
param communicationServiceName string
param managedIdentityPrincipalId string

@description('Object id of the operator running azd; optional data access for troubleshooting.')
param userPrincipalId string = ''

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}
var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource communicationService 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storageAccount.id, managedIdentityPrincipalId, roleId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: managedIdentityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource operatorStorageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in (empty(userPrincipalId) ? [] : storageRoles): {
    name: guid(storageAccount.id, userPrincipalId, roleId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: userPrincipalId
      principalType: 'User'
    }
  }
]

resource appInsightsRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, managedIdentityPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource acsEmailSenderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'acs-email-sender')
  properties: {
    roleName: 'ACS Email Sender (${resourceGroup().name})'
    description: 'Send email through Azure Communication Services with a Microsoft Entra token; nothing else.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/CommunicationServices/Write'
          'Microsoft.Communication/EmailServices/write'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource acsRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communicationService.id, managedIdentityPrincipalId, acsEmailSenderRole.id)
  scope: communicationService
  properties: {
    roleDefinitionId: acsEmailSenderRole.id
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}
