/** The function app's address (its custom domain must be a request and uploadFile domain of the mini-program). */
export const API_BASE = 'https://your-function-app.azurewebsites.net';
