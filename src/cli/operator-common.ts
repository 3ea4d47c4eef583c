import type { Preferences } from '../agent/operators.ts';

/** The notification preferences `operator add` and `operator set` take. */
export const preferenceOptions = {
  email: { flags: '--email <address>', description: 'send notifications to this address ("" for none)' },
  webhook: { flags: '--webhook <url>', description: 'POST notifications to this URL, HMAC-signed ("" for none)' },
  events: {
    flags: '--events <list>',
    description:
      'which events: update-available, staged, applied, rolled-back, held, advisory, end-of-life (or all, none)',
  },
} as const;

export function preferencesOf(flags: { email?: string | undefined; webhook?: string | undefined }): Preferences {
  return {
    ...(flags.email === undefined ? {} : { email: flags.email === '' ? null : flags.email }),
    ...(flags.webhook === undefined ? {} : { webhook: flags.webhook === '' ? null : flags.webhook }),
  };
}
