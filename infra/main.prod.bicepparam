// Online environment: zone-redundant storage, more headroom, originals kept (cooled after 30 days).
using './main.bicep'

param environmentName = 'prod'
param appName = 'shortvideo'
param storageSku = 'Standard_ZRS'
param instanceMemoryMB = 4096
param alwaysReadyHttpInstances = 2
param maximumInstances = 100
param uploadsCoolAfterDays = 30
param uploadsDeleteAfterDays = 0
param settingsOverrides = {}
