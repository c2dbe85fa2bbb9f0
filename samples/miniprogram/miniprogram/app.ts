import { signIn } from './lib/api';
import { flushEvents } from './lib/events';

App({
  onLaunch() {
    // Sign in up front; every call also signs in again by itself when the token is missing or refused.
    signIn().catch(error => console.warn('sign-in failed', error));
  },
  onHide() {
    flushEvents().catch(() => undefined);
  },
});
