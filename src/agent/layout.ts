import { join, resolve } from 'node:path';

/** The install root of an instance (see DESIGN.md, "The agent"). */
export class Layout {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }
  get agentConfig(): string {
    return join(this.root, 'agent.json');
  }
  /** The app's own config, moved between versions by the release's config migrations. */
  get appConfig(): string {
    return join(this.root, 'config.json');
  }
  get releases(): string {
    return join(this.root, 'releases');
  }
  release(version: string): string {
    return join(this.releases, version);
  }
  get current(): string {
    return join(this.root, 'current');
  }
  get data(): string {
    return join(this.root, 'data');
  }
  get state(): string {
    return join(this.root, 'state');
  }
  get stateFile(): string {
    return join(this.state, 'state.json');
  }
  get history(): string {
    return join(this.state, 'history.jsonl');
  }
  get log(): string {
    return join(this.state, 'agent.log');
  }
  get tuf(): string {
    return join(this.state, 'tuf');
  }
  get token(): string {
    return join(this.state, 'token');
  }
  get api(): string {
    return join(this.state, 'api.json');
  }
  get lock(): string {
    return join(this.state, 'update.lock');
  }
  get agentLock(): string {
    return join(this.state, 'agent.lock');
  }
  get appPid(): string {
    return join(this.state, 'app.pid');
  }
  get staging(): string {
    return join(this.root, 'staging');
  }
  get downloads(): string {
    return join(this.staging, 'downloads');
  }
  /** Slipway's own executables, one folder per version (agent/<version>/slipway). */
  get agentHome(): string {
    return join(this.root, 'agent');
  }
  agentBinary(version: string): string {
    return join(this.agentHome, version, 'slipway');
  }
  /** bin/slipway: the link to the executable in use (what the systemd unit runs). */
  get slipwayLink(): string {
    return join(this.root, 'bin', 'slipway');
  }
  /** An agent's switch to another executable that has not proved itself yet (self-update). */
  get agentSwitch(): string {
    return join(this.state, 'agent-switch.json');
  }
  /** The app an agent left running for the executable it re-executed into. */
  get handover(): string {
    return join(this.state, 'handover.json');
  }
  defaultDatabase(): string {
    return join(this.data, 'app.db');
  }
}
