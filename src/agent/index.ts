/**
 * `slipway/agent`: the instance side — install, the update transaction (stage, migrate, switch,
 * health, commit or roll back), the supervisor and local API, doctor.
 * @packageDocumentation
 */
export { Instance, CRASH_POINTS, nodePlatform } from './instance.ts';
export type { CheckResult, InstanceOptions, UpdateOptions, Consistency, CrashPoint } from './instance.ts';
export type { ApplyResult } from './transaction.ts';
export { systemClock } from './context.ts';
export type { Clock, InstanceContext } from './context.ts';
export { Agent, withJitter } from './agent.ts';
export type { AgentOptions } from './agent.ts';
export { install } from './install.ts';
export type { InstallOptions } from './install.ts';
export { describeStatus } from './report.ts';
export type { StatusReport } from './report.ts';
export { diagnose } from './doctor.ts';
export type { Check } from './doctor.ts';
export { Layout } from './layout.ts';
export { readAgentConfig, validateAgentConfig, AgentConfigSchema, CONFIG_KEYS } from './config.ts';
export type { AgentConfig } from './config.ts';
export type { AgentState, HistoryEntry, KeptRelease, Staged, Transaction, Step } from './state.ts';
export type { HealthSpec, HealthResult } from './health.ts';
export type { AppControl, AppRuntime } from './app-process.ts';
export { NOTIFY_EVENTS, ROLES, readOperators } from './operators.ts';
export type { NotifyEvent, Operator, OperatorView, Role, Preferences } from './operators.ts';
export { SIGNATURE_HEADER, signBody, outbox } from './notify.ts';
export type { Notification, Delivery, Sent } from './notify.ts';
export { bannerOf } from './banner.ts';
export type { Banner } from './banner.ts';
export type { Notices } from './notices.ts';
