// Online environment: zone-redundant storage, more headroom, originals kept (cooled after 30 days).
using './main.bicep'

param environmentName = 'prod'
param appName = 'shortvideo'
param storageSku = 'Standard_ZRS'
param planSku = 'EP2'
param minimumInstances = 2
param maximumInstances = 20
param uploadsCoolAfterDays = 30
param uploadsDeleteAfterDays = 0
param settingsOverrides = {}
