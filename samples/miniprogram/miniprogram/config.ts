/**
 * The API's address: the deployment's `apiBaseUrl` output, i.e. https://<apiHostName> (the Bicep parameter behind
 * Playback__PublicBaseUrl), an ICP-filed domain in the mini-program's request list (infra/README.md, "Deploying for a
 * WeChat mini-program"). Uploads go through it in chunks, so no other domain is needed for them.
 */
export const API_BASE = 'https://your-function-app.azurewebsites.net';
