// Short-video backend on Azure Functions (.NET isolated worker with Durable Functions, Flex Consumption plan) and Azure Storage, keyless: the
// storage account refuses Shared Key, and the app, the Functions host and Event Grid reach it with managed identities
// (infra/README.md).
// Deploy into a resource group:  az deployment group create -g <rg> -f infra/main.bicep -p infra/main.<env>.bicepparam
// The lists below (containers, queues, tables, Event Grid routes, app settings) are kept in step with the code by
// tests/Serverless.IntegrationTests/Infra: adding a container, queue or table is one line in its list.
targetScope = 'resourceGroup'

@description('Environment name: dev is the pre-release (staging) environment, prod the online one. Each is its own resource group and storage account, so online is isolated from pre-release.')
@allowed([
  'dev'
  'prod'
])
param environmentName string

@description('Short name used in every resource name (lowercase letters and digits).')
@minLength(3)
@maxLength(11)
param appName string = 'shortvideo'

param location string = resourceGroup().location

@description('Storage redundancy.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_LRS'

@description('Memory of each Flex Consumption instance: 2048 MB (1 vCPU) or 4096 MB (2 vCPU). ffmpeg transcodes use every core of an instance.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Always-ready (pre-warmed, billed) instances for the HTTP functions, so the mini-program\'s API calls meet no cold start; 0 scales the HTTP group to zero.')
@minValue(0)
@maxValue(20)
param alwaysReadyHttpInstances int = 1

@description('Upper bound of instances the app scales out to (Flex Consumption scales each non-HTTP function on its own instances).')
@minValue(1)
@maxValue(1000)
param maximumInstances int = 40

@description('Days after their last change before uploaded originals move to the Cool tier.')
@minValue(1)
param uploadsCoolAfterDays int = 30

@description('Days after their last change before uploaded originals are deleted; 0 keeps them forever (they are the only copy of the source: re-transcoding needs them).')
@minValue(0)
param uploadsDeleteAfterDays int = 0

@description('Days after they were written before the content review\'s samples (the frames, poster and audio WeChat judged, kept for appeals) are deleted.')
@minValue(1)
param reviewSamplesDeleteAfterDays int = 180

@description('Object id of a user or group that may set Key Vault secrets (Key Vault Secrets Officer); empty to grant nothing.')
param keyVaultOfficerPrincipalId string = ''

@description('App settings that override the defaults below for this environment (plain values; secrets go to Key Vault).')
param settingsOverrides object = {}

@description('Browser origins allowed to call the API (CORS, enforced by the Functions host), e.g. a web demo; empty: none.')
param webOrigins array = []

@description('The queue Event Grid delivers the uploads container\'s BlobCreated events to (app setting Pipeline__UploadQueue, read by the host for OnVideoUploaded).')
param uploadQueueName string = 'video-uploads'

@description('The Durable task hub (app setting AzureFunctionsJobHost__extensions__durableTask__hubName, over host.json\'s VideoPipeline): its queues, tables and container in the account.')
@minLength(3)
@maxLength(45)
param taskHubName string = 'VideoPipeline'

// ---- Reaching it from a WeChat mini-program (infra/README.md, "Deploying for a WeChat mini-program") -------------------
@description('The API\'s own hostname, ICP-filed, e.g. api.example.cn: the only domain the mini-program needs in its request and uploadFile lists (uploads go through the API in chunks). DNS: a CNAME to the function app\'s default host and a TXT asuid record. Empty: the default host only, which a mini-program may not call.')
param apiHostName string = ''

@description('With apiHostName: the name of the certificate for it in this deployment\'s Key Vault (imported as a Key Vault certificate, PFX with its chain), bound with SNI. Empty binds the hostname without TLS of its own.')
param apiCertificateName string = ''

@description('The hostname <video> and <image> load media from (HLS segments, posters), e.g. media.example.cn: a CDN or Front Door endpoint with this custom domain and a certificate, whose origin is the storage account\'s blob endpoint (path and SAS query passed through). Empty: media URLs name the storage account itself.')
param mediaHostName string = ''

@description('A fixed outbound IP for WeChat\'s API IP allow-list: VNet integration, a NAT gateway and a static public IP (output outboundIp, app setting WeChat__OutboundIp).')
param fixedOutboundIp bool = false

@description('With fixedOutboundIp: the virtual network\'s address space and its integration subnet (at least /27).')
param vnetAddressPrefix string = '10.40.0.0/16'
param integrationSubnetPrefix string = '10.40.0.0/24'

var suffix = uniqueString(resourceGroup().id, appName, environmentName)
var names = {
  storage: take('${appName}${environmentName}${suffix}', 24)
  plan: 'plan-${appName}-${environmentName}'
  functionApp: 'func-${appName}-${environmentName}-${take(suffix, 6)}'
  insights: 'appi-${appName}-${environmentName}'
  workspace: 'log-${appName}-${environmentName}'
  keyVault: take('kv-${appName}-${environmentName}-${suffix}', 24)
  systemTopic: 'evgt-${appName}-${environmentName}'
}

// ---- Storage resources the code declares (AddStorageResources) and the queues its triggers read ----------------------
// Containers: all private. The app's identity has blob data on these (roles.bicep).
var appContainers = [
  'uploads' // originals, one blob per video ({videoId}/source); raises BlobCreated (below)
  'media' // published HLS renditions, playlists, posters
  'azure-webjobs-hosts' // timer locks and host state (the Functions host and the local runtime both use it)
  'review' // frames and audio chunks of each video WeChat's content check fetched (read-only SAS); kept for appeals
  'wechat' // the app's one WeChat access token, shared by every instance, and its refresh lease
  'models' // recommender model versions, training reports, the latest pointer and the retraining lock
  'templates' // motion templates: staging revisions and published documents (Serverless.Templates)
  'azure-webjobs-secrets' // the Functions host's keys (its default secret storage)
  // The Durable task hub's blobs (the taskHubName parameter, lower-cased): partition leases, large messages, the app
  // lease. Declared here because the app's identity may not create containers (roles.bicep).
  '${toLower(taskHubName)}-leases'
  '${toLower(taskHubName)}-largemessages'
  '${toLower(taskHubName)}-applease'
]

// Not used by the code: the Flex Consumption deployment package (functionAppConfig.deployment), the deployment identity's alone.
var deploymentContainer = 'deployments'
var containers = concat(appContainers, [deploymentContainer])

// Queues: each also gets its '<name>-poison' queue, where messages land after host.json maxDequeueCount deliveries.
var queues = [
  uploadQueueName // Event Grid BlobCreated events for the uploads container (OnVideoUploaded, %Pipeline:UploadQueue%)
]

// Tables (alphanumeric names).
var tables = [
  'Videos' // the video catalog and the read model of each video's pipeline (the Durable task hub keeps its own tables)
  'ReadyVideos' // index of Ready videos, newest first
  'PipelineSlots' // admission to the pipeline: one row per slot (Pipeline__MaxConcurrentVideos)
  'WeChatUsers' // the openid behind each WeChat user id (the content check names the uploader); never returned by the API
  'WeChatQuota' // content check calls per minute and per day across every instance
  'ReviewTraces' // content check trace ids: the sample and video each checks, and WeChat's pushed verdict
  'LocalRuntimeUploads' // the local host's upload watcher (declared so one storage layout serves both hosts)
  'RecEvents' // user events by hour of occurrence (training scans a window)
  'RecUserEvents' // user events by user, newest first (recent history for the feed rules)
  'Templates' // template library: staging and online rows, the library version
  'TemplateAssets' // content hashes of the resources templates reference
  'TemplateActivity' // template impressions and uses (fatigue, exposure caps)
  'Images' // photos sent for renders: owner and upright size (the photos are in the uploads container, images/)
]

// Event Grid: blobs created in `container` raise Microsoft.Storage.BlobCreated into `queue` (BlobCreatedSubscription in code).
var blobCreatedRoutes = [
  {
    container: 'uploads'
    queue: uploadQueueName
  }
]

// ---- App settings the code reads (local.settings.sample.json lists the same names) ---------------------------------
// Secrets are Key Vault references: '@Microsoft.KeyVault(VaultName=…;SecretName=…)'; set their values with
// `az keyvault secret set` (infra/README.md). Platform settings (the host's identity-based storage connection, App
// Insights) are in modules/appsettings.bicep; the runtime (.NET 10 isolated worker) is functionAppConfig in modules/functionapp.bicep.
var appSettings = {
  ASPNETCORE_ENVIRONMENT: environmentName == 'prod' ? 'Production' : 'Staging'
  OMP_WAIT_POLICY: 'passive' // LightGBM's OpenMP threads sleep instead of spinning when idle (the process also sets it before LightGBM loads)
  Storage__RequestTimeoutSeconds: '30'
  Storage__OperationTimeoutSeconds: '60'
  Storage__MaxRetries: '3'
  Storage__InteractiveMaxRetries: '1'
  Storage__UserDelegationKeyHours: '24' // the key every SAS is signed with (keyless): renewed at half-life, longer than twice the longest SAS (2 h)
  Identity__Issuer: 'shortvideo-api'
  Identity__Audience: 'shortvideo-miniprogram'
  Identity__TokenLifetimeMinutes: '60'
  Identity__ClockSkewSeconds: '30'
  // keyId:base64Key[,keyId:base64Key]: the first signs, all validate (rotation: add the new key first).
  Identity__SigningKeys: '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=TokenSigningKeys)'
  // Derives the opaque user ids from openids: never rotate it once users exist.
  Identity__UserIdKey: '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=UserIdKey)'
  Identity__AllowDevelopmentSignIn: 'false'
  Identity__OperatorKeys: '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=OperatorKeys)'
  WeChat__AppId: '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=WeChatAppId)'
  WeChat__AppSecret: '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=WeChatAppSecret)'
  WeChat__BaseUrl: 'https://api.weixin.qq.com'
  WeChat__AttemptTimeoutSeconds: '5'
  WeChat__MaxRetries: '2'
  WeChat__RetryDelayMilliseconds: '200'
  // WeChat's content check before publishing (media_check_async v2); the verdicts are pushed to /api/wechat/push, the
  // mini-program's message server URL (set in the WeChat console with this Token and EncodingAESKey, data format JSON or XML).
  Review__Enabled: 'true'
  Review__PushToken: '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=WeChatPushToken)'
  // Safe mode (encrypted pushes), required with the review on: a plain push's signature does not cover its body.
  Review__EncodingAesKey: '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=WeChatEncodingAesKey)'
  Review__Scene: '4' // 1 profile, 2 comment, 3 forum, 4 social log (users' posts)
  Review__FrameIntervalSeconds: '5'
  Review__SceneChangeThreshold: '0.4'
  Review__MaxFrames: '60'
  Review__AudioChunkSeconds: '60'
  Review__VerdictDeadlineMinutes: '35' // WeChat promises verdicts within 30 minutes; later, the video waits for an operator
  Review__MediaUrlMinutes: '35'
  Review__CallsPerMinute: '1800' // of WeChat's 2,000 a minute per app
  Review__CallsPerDay: '190000' // of WeChat's 200,000 a day per app
  Review__PushMaxAgeMinutes: '5'
  Edge__MaxRequestBodyBytes: '1048576'
  Edge__LoginPermitsPerMinutePerIp: '30'
  Edge__UploadPermitsPerMinutePerUser: '30'
  Edge__UploadPermitsPerMinutePerIp: '120'
  Edge__ChunkPermitsPerMinutePerUser: '600'
  Edge__ChunkPermitsPerMinutePerIp: '2400'
  Edge__EventPermitsPerMinutePerUser: '300'
  Edge__EventPermitsPerMinutePerIp: '1200'
  Edge__ClientAddressHeader: 'CLIENT-IP' // the App Service front end writes the client's ip:port here, overwriting what a client sends (per-IP limits)
  Edge__CorsOrigins: join(webOrigins, ',') // the host enforces CORS in Azure (functionapp.bicep siteConfig.cors); kept equal for the record
  Web__DemoPage: 'false' // the local demo page; not in the deployment package
  Web__OpenApiDocument: 'true'
  // Static linux-x64 ffmpeg/ffprobe shipped in the package by infra/publish.sh (tools/), run from /home/site/wwwroot
  // (where the package is mounted: to confirm on the first Flex Consumption deployment, infra/README.md).
  Media__FfmpegPath: '/home/site/wwwroot/tools/ffmpeg'
  Media__FfprobePath: '/home/site/wwwroot/tools/ffprobe'
  Media__WorkDirectory: '' // empty: a folder under the instance's temp directory (the instance's local disk)
  Media__Preset: 'veryfast'
  Media__MaxDurationSeconds: '200'
  Media__MaxSourceBytes: '1073741824'
  Media__MinDimension: '64'
  Media__MaxDimension: '4096'
  Media__MaxLadderShortSide: '720'
  Media__PerTitleLadder: 'true' // a short look at each upload sets each rung's rate from its content (capped at the fixed rate)
  Media__PerTitleCrf: '21'
  Media__PerTitleMinSeconds: '10' // shorter clips get the fixed ladder: the look would cost a large share of their encode
  Media__ProbeTimeoutSeconds: '60'
  Media__TranscodeTimeoutSeconds: '1800'
  Media__SegmentFormat: 'MpegTs'
  Pipeline__MaxUploadBytes: '1073741824'
  Pipeline__MaxMultipartUploadBytes: '104857600' // the Functions host's request limit: larger files take the upload URL or chunks
  Pipeline__UploadChunkBytes: '4194304' // a chunked upload's chunk: far inside a mini-program request's 60 s
  Pipeline__AllowedContentTypes: 'video/mp4,video/quicktime,video/x-m4v,video/webm,video/x-matroska,video/3gpp,video/mpeg,video/x-msvideo'
  Pipeline__UploadUrlMinutes: '15'
  Pipeline__MaxStepAttempts: '3'
  Pipeline__MaxConcurrentVideos: '2' // videos processed at once across all instances: raise with the instance count
  Pipeline__RetryBaseDelaySeconds: '5'
  Pipeline__StuckAfterSeconds: '900'
  Pipeline__UploadExpiryMinutes: '1440'
  Pipeline__BadUploadRetentionDays: '7' // the app deletes the upload of a video refused as bad input this long after (storage.bicep says what else is kept)
  Pipeline__ProgressIntervalSeconds: '2'
  // Read by the Functions host in trigger attributes (%Section:Key%, the key of the app setting Section__Key): no default there.
  Pipeline__SweepSchedule: '0 */1 * * * *' // SweepPipelines' timer
  Recommendations__RetrainSchedule: '0 0 * * * *' // RetrainRecommender's timer
  Pipeline__UploadQueue: uploadQueueName // OnVideoUploaded's queue trigger
  AzureFunctionsJobHost__extensions__durableTask__hubName: taskHubName // the Durable task hub (host.json's hubName otherwise)
  RecommenderEvents__MaxBatchSize: '100'
  RecommenderEvents__MaxClockSkewMinutes: '10'
  RecommenderEvents__MaxEventAgeDays: '7'
  RecommenderFeedback__Impression: '0.1'
  RecommenderFeedback__Play: '1'
  RecommenderFeedback__Completion: '2'
  RecommenderFeedback__Like: '4'
  RecommenderFeedback__Share: '4'
  RecommenderFeedback__HalfLifeDays: '14'
  RecommenderFeedback__MinPreference: '0.5'
  RecommenderFeedback__DefaultDurationSeconds: '60'
  RecommenderTraining__WindowDays: '30'
  RecommenderTraining__HoldoutFraction: '0.2'
  RecommenderTraining__MaxEvaluationUsers: '3000'
  RecommenderTraining__Algorithms: 'popularity,user-knn,item-knn,implicit-als'
  RecommenderTraining__SelectionMetric: 'ndcg@10'
  RecommenderTraining__Seed: '42'
  RecommenderTraining__Neighbours: '50'
  RecommenderTraining__Shrinkage: '10'
  RecommenderTraining__MaxCoRatersPerItem: '100'
  RecommenderTraining__AlsFactors: '32'
  RecommenderTraining__AlsIterations: '10'
  RecommenderTraining__AlsRegularization: '1'
  RecommenderTraining__AlsAlpha: '10'
  RecommenderTraining__EaseLambda: '200'
  RecommenderTraining__EaseMaxItems: '2500'
  RecommenderTraining__SimilarVideos: '20'
  // The learned ranker (LightGBM LambdaRank) trained by the retraining timer with explicit threads.
  RecommenderRanker__Enabled: 'true'
  RecommenderRanker__CandidateModels: 'implicit-als,item-knn'
  RecommenderRanker__CandidatesPerModel: '100'
  RecommenderRanker__PopularCandidates: '50'
  RecommenderRanker__FreshCandidates: '50'
  RecommenderRanker__FreshWindowHours: '48'
  RecommenderRanker__LabelHours: '24'
  RecommenderRanker__EvaluationHours: '24'
  RecommenderRanker__MaxTrainingUsers: '6000'
  RecommenderRanker__NegativesPerUser: '60'
  RecommenderRanker__MaxEvaluationUsers: '3000'
  RecommenderRanker__ListLength: '50'
  RecommenderRanker__ActiveDays: '7'
  RecommenderRanker__Trees: '100'
  RecommenderRanker__Leaves: '15'
  RecommenderRanker__MinExamplesPerLeaf: '50'
  RecommenderRanker__LearningRate: '0.1'
  RecommenderRanker__Threads: '2'
  RecommenderServing__ReloadIntervalSeconds: '10'
  RecommenderServing__CatalogCacheSeconds: '30'
  RecommenderServing__HistoryCacheSeconds: '5'
  RecommenderServing__HistoryDepth: '200'
  RecommenderServing__DefaultPageSize: '20'
  RecommenderServing__MaxPageSize: '50'
  RecommenderServing__FreshShare: '0.2'
  RecommenderServing__FreshWindowHours: '48'
  RecommenderServing__MaxPerAuthor: '2'
  RecommenderServing__FatigueImpressions: '3'
  RecommenderServing__FatigueWindowHours: '24'
  RecommenderServing__CompletionFraction: '0.9'
  Templates__RefreshSeconds: '5'
  Images__MaxBytes: '20971520' // photos for renders: at most 20 MiB, 8192 px a side, 40 MP (read before decoding)
  Images__MaxSide: '8192'
  Images__MaxPixels: '40000000'
  Images__StoredLongSide: '1920' // photos are stored upright, re-encoded, long side at most this
  Rendering__ShortSide: '720' // the render canvas's short side: the ladder's top rung or lower
  Rendering__FrameRate: '30'
  TemplateRecommendations__FatigueWindowHours: '24'
  TemplateRecommendations__FatigueDemoteAfter: '2'
  TemplateRecommendations__FatigueExcludeAfter: '5'
  TemplateRecommendations__FatigueDemotion: '0.5'
  TemplateRecommendations__ExposureWindowHours: '24'
  TemplateRecommendations__DefaultExposureCap: '0.2'
  TemplateRecommendations__ExposureMinImpressions: '100'
  TemplateRecommendations__FreshnessHalfLifeDays: '14'
  TemplateRecommendations__StatsCacheSeconds: '30'
  TemplateRecommendations__RecordServedAsImpressions: 'false'
  // Playback tokens: HMAC-SHA256 keys (base64 of >= 32 random bytes), current and previous for rotation (infra/README.md).
  // The previous key's secret holds a single space when there is none.
  Playback__SigningKey: '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=PlaybackSigningKey)'
  Playback__PreviousSigningKey: '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=PlaybackPreviousSigningKey)'
  Playback__TokenLifetimeMinutes: '10'
  Playback__OwnerTokenLifetimeMinutes: '5' // a video not published yet plays for its owner alone, with shorter-lived tokens bound to them
  Playback__VideoStateCacheSeconds: '2' // the playlist routes re-check the video's state at least this often: a rejection or a delete stops playback within it
  Playback__SegmentExpiryMarginSeconds: '60'
  Playback__SegmentExpiryGranularitySeconds: '30'
  Playback__PublicBaseUrl: empty(apiHostName) ? '' : 'https://${apiHostName}' // empty: playback URLs use the request's scheme and host
  Playback__MediaBaseUrl: empty(mediaHostName) ? '' : 'https://${mediaHostName}/' // empty: segment and poster URLs name the storage account
  Playback__PlaylistCacheMegabytes: '64'
  Playback__ReadyVideoCacheSeconds: '5'
  Playback__ReadyVideoCacheEntries: '100000'
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.workspace
    insightsName: names.insights
    retentionInDays: environmentName == 'prod' ? 90 : 30
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: names.storage
    sku: storageSku
    containers: containers
    queues: flatten(map(queues, q => [q, '${q}-poison']))
    tables: tables
    uploadsContainer: 'uploads'
    uploadsCoolAfterDays: uploadsCoolAfterDays
    uploadsDeleteAfterDays: uploadsDeleteAfterDays
    reviewContainer: 'review'
    reviewSamplesDeleteAfterDays: reviewSamplesDeleteAfterDays
  }
}

module events 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    location: location
    systemTopicName: names.systemTopic
    storageAccountName: storage.outputs.name
    routes: blobCreatedRoutes
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    name: names.keyVault
    officerPrincipalId: keyVaultOfficerPrincipalId
  }
}

module network 'modules/network.bicep' = if (fixedOutboundIp) {
  name: 'network'
  params: {
    location: location
    name: '${appName}-${environmentName}'
    addressPrefix: vnetAddressPrefix
    integrationSubnetPrefix: integrationSubnetPrefix
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    planName: names.plan
    appName: names.functionApp
    instanceMemoryMB: instanceMemoryMB
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    maximumInstances: maximumInstances
    storageAccountName: storage.outputs.name
    deploymentContainer: deploymentContainer
    corsOrigins: webOrigins
    subnetId: fixedOutboundIp ? network!.outputs.subnetId : ''
  }
}

module customDomain 'modules/customdomain.bicep' = if (!empty(apiHostName)) {
  name: 'customdomain'
  dependsOn: [
    roles // the certificate is read from Key Vault
  ]
  params: {
    location: location
    functionAppName: functionApp.outputs.name
    hostName: apiHostName
    keyVaultName: vault.outputs.name
    certificateName: apiCertificateName
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: vault.outputs.name
    appContainers: appContainers
    deploymentContainer: deploymentContainer
    deploymentPrincipalId: functionApp.outputs.deploymentPrincipalId
  }
}

module settings 'modules/appsettings.bicep' = {
  name: 'appsettings'
  dependsOn: [
    roles // Key Vault references resolve with the app's identity: grant it first.
    events
  ]
  params: {
    functionAppName: functionApp.outputs.name
    storageEndpoints: {
      blob: storage.outputs.blobEndpoint
      queue: storage.outputs.queueEndpoint
      table: storage.outputs.tableEndpoint
    }
    insightsConnectionString: monitoring.outputs.connectionString
    outboundIp: fixedOutboundIp ? network!.outputs.outboundIp : ''
    appSettings: union(appSettings, settingsOverrides)
  }
}

@description('Base URL of the function app (HTTP APIs are under /api).')
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'

@description('The API\'s base URL for the mini-program (API_BASE in the sample\'s config.ts): the custom domain when one is set.')
output apiBaseUrl string = empty(apiHostName) ? 'https://${functionApp.outputs.defaultHostName}' : 'https://${apiHostName}'

@description('The fixed outbound IP to put into WeChat\'s API IP allow-list (empty without fixedOutboundIp).')
output outboundIp string = fixedOutboundIp ? network!.outputs.outboundIp : ''

@description('The TXT record value (asuid.<apiHostName>) that proves the custom domain is yours.')
output customDomainVerificationId string = functionApp.outputs.customDomainVerificationId

output functionAppName string = functionApp.outputs.name

output storageAccountName string = storage.outputs.name

output keyVaultName string = vault.outputs.name
