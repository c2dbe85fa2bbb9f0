// A fixed outbound IP for WeChat's API IP allow-list (the calls carrying the AppSecret: stable_token, code2Session):
// a virtual network whose integration subnet is delegated to the Flex Consumption app (Microsoft.App/environments), a
// NAT gateway on that subnet and one Standard static public IP. With VNet integration the app's outbound traffic leaves
// through the NAT gateway, so WeChat always sees this address (output outboundIp; the app names it in the errcode 40164
// message through WeChat__OutboundIp). Costs: the NAT gateway and the public IP are billed by the hour and per GB.
param location string
param name string

@description('Address space of the virtual network.')
param addressPrefix string

@description('The integration subnet (at least /27; Flex Consumption takes one address per instance).')
param integrationSubnetPrefix string

resource outboundIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: 'pip-${name}-outbound'
  location: location
  sku: {
    name: 'Standard'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

resource nat 'Microsoft.Network/natGateways@2024-05-01' = {
  name: 'ng-${name}'
  location: location
  sku: {
    name: 'Standard'
  }
  properties: {
    idleTimeoutInMinutes: 4
    publicIpAddresses: [
      {
        id: outboundIp.id
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: 'vnet-${name}'
  location: location
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'functions'
        properties: {
          addressPrefix: integrationSubnetPrefix
          natGateway: {
            id: nat.id
          }
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
    ]
  }
}

output subnetId string = vnet.properties.subnets[0].id
output outboundIp string = outboundIp.properties.ipAddress
