/** Static configuration of targets (names, authentication, ACL) and portals. */
import type { ChapCredentials } from '../iscsi/chap.js';

export interface TargetConfig {
  iqn: string;
  alias?: string;
  /** Initiator authenticates to us (one-way CHAP). */
  chap?: ChapCredentials;
  /** We authenticate to the initiator (mutual CHAP); requires `chap`. */
  mutualChap?: ChapCredentials;
  /** Initiator IQNs allowed to log in; empty means any. */
  allow: string[];
}

export interface PortalConfig {
  host: string;
  port: number;
}
