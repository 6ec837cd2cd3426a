/**
 * iSCSI names are not case sensitive (RFC 7143 §4.2.7.1; RFC 3722 folds case), and the
 * configuration lowercases the ones it is given (cli/option-checks.ts): names an initiator
 * sends are matched through this, while the name as sent is what logs and status show.
 */
export function iscsiNameKey(name: string): string {
  return name.toLowerCase();
}

export function sameIscsiName(a: string, b: string): boolean {
  return iscsiNameKey(a) === iscsiNameKey(b);
}
