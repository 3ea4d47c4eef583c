import { SlipwayError } from '../../core/errors.ts';

export function unparsable(path: string, reason: string): SlipwayError {
  return new SlipwayError('VERSION_FILE_UNPARSABLE', `cannot read the version in ${path}: ${reason}`);
}
