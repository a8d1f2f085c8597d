// Azure Communication Services Email: an Email Communication Service with a sender domain,
// linked to a Communication Service whose endpoint the app calls with its managed identity.
//
// By default the free Azure-managed domain (<guid>.azurecomm.net) is created and used. With
// `senderDomain`, a customer-managed domain is created too; ACS only links a domain whose DNS
// records are verified, so it is linked and used once `senderDomainVerified` is true
// (docs/DEPLOY.md, "Custom sender domain").
param communicationServiceName string
param emailServiceName string
param dataLocation string
param senderDomain string = ''
param senderDomainVerified bool = false
param senderUsername string = 'DoNotReply'
param tags object = {}

var useCustomDomain = !empty(senderDomain) && senderDomainVerified

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource azureManagedDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource customDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = if (!empty(senderDomain)) {
  parent: emailService
  name: !empty(senderDomain) ? senderDomain : 'unused'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'CustomerManaged'
    userEngagementTracking: 'Disabled'
  }
}

// Azure-managed domains come with DoNotReply; a custom domain needs its sender username.
resource customSender 'Microsoft.Communication/emailServices/domains/senderUsernames@2023-04-01' = if (useCustomDomain) {
  parent: customDomain
  name: toLower(senderUsername)
  properties: {
    username: senderUsername
    displayName: 'Referral leads'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: useCustomDomain ? [customDomain.id] : [azureManagedDomain.id]
  }
}

var senderMailDomain = useCustomDomain ? customDomain.properties.mailFromSenderDomain : azureManagedDomain.properties.mailFromSenderDomain

output communicationServiceName string = communicationService.name
output endpoint string = 'https://${communicationService.properties.hostName}'
output senderAddress string = '${useCustomDomain ? senderUsername : 'DoNotReply'}@${senderMailDomain}'
// The TXT/SPF/DKIM records to add at the DNS host of a custom domain before verification.
output senderDomainVerificationRecords object = !empty(senderDomain) ? customDomain.properties.verificationRecords : {}
