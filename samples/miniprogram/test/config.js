// What config.ts holds in a real build, here the app the test runs against (the test file sets API_BASE first).
exports.API_BASE = process.env.API_BASE;
