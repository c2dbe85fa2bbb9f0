// Pre-release (staging) environment: small, cheap, short retention; its own resource group and storage account.
using './main.bicep'

param environmentName = 'dev'
param appName = 'shortvideo'
param storageSku = 'Standard_LRS'
param instanceMemoryMB = 2048
param alwaysReadyHttpInstances = 1
param maximumInstances = 10
param uploadsCoolAfterDays = 7
param uploadsDeleteAfterDays = 30
param settingsOverrides = {}
