// The gateway's wire types, generated from its OpenAPI document (`npm run gen`).
import type { components } from '../generated/api';

type Schemas = components['schemas'];
export type Action = Schemas['Action'];
export type ActionName = Action['action'];
export type Alert = Schemas['Alert'];
export type Balance = Schemas['Balance'];
export type Case = Schemas['Case'];
export type ConsoleDeployment = Schemas['ConsoleDeployment'];
export type DemoAccount = Schemas['DemoAccount'];
export type ErrorBody = Schemas['ErrorBody'];
export type HistoryEvent = Schemas['Event'];
export type Hold = Schemas['Hold'];
export type PlatformFinding = Schemas['PlatformFinding'];
export type RiskFinding = Schemas['RiskFinding'];
export type Me = Schemas['Me'];
export type MemberSummary = Schemas['MemberSummary'];
export type MonitorVerdict = Schemas['MonitorVerdict'];
export type Payment = Schemas['Payment'];
export type Prepared = Schemas['Prepared'];
export type PublicMember = Schemas['PublicMember'];
export type Relayed = Schemas['Relayed'];
export type Role = Schemas['Role'];
export type SignedRequest = Schemas['SignedRequest'];
export type AccessEntry = Schemas['AccessEntry'];
export type Activity = Schemas['Activity'];
export type Quota = Schemas['Quota'];
