// The chain's enums, rules and roles in words, from the generated vocabulary.
import { enums, events, roles, rules, severities } from '../generated/chain';

export type EnumName = keyof typeof enums;
export type Words = { readonly zh: string; readonly en: string };

/** The number of value `name` of `enumName` (as the API says it), or an error naming the choices. */
export function enumValue(enumName: EnumName, name: string): number {
  const values: readonly { value: number; name: string }[] = enums[enumName];
  const found = values.find((v) => v.name === name);
  if (!found) {
    throw new Error(`${enumName} has no value ${JSON.stringify(name)}; it is one of ${values.map((v) => v.name).join(', ')}`);
  }
  return found.value;
}

/** The words of an enum value given by its API name; the name itself if unknown. */
export function enumWords(enumName: EnumName, name: string): Words {
  const values: readonly (Words & { name: string })[] = enums[enumName];
  return values.find((v) => v.name === name) ?? { zh: name, en: name };
}

/** The words of an enum value given by its number (as an event's fields carry it). */
export function enumWordsOf(enumName: EnumName, value: number): Words {
  const values: readonly (Words & { value: number })[] = enums[enumName];
  return values.find((v) => v.value === value) ?? { zh: String(value), en: String(value) };
}

/** The API names of an enum's values, in the contract's order. */
export function enumNames(enumName: EnumName): string[] {
  return enums[enumName].map((v) => v.name);
}

/** The words of a monitoring rule. */
export function ruleWords(name: string): Words {
  const rule: (Words & { name: string }) | undefined = rules.find((r) => r.name === name);
  return rule ?? { zh: name, en: name };
}

/** The words of a role. */
export function roleWords(name: string): Words {
  const role: (Words & { name: string }) | undefined = roles.find((r) => r.name === name);
  return role ?? { zh: name, en: name };
}

/** The words of a contract event; its name if unknown. */
export function eventWords(name: string): Words {
  const all: Readonly<Record<string, Words>> = events;
  return all[name] ?? { zh: name, en: name };
}

/** The words of a risk finding's severity. */
export function severityWords(name: string): Words {
  const found: (Words & { name: string }) | undefined = severities.find((s) => s.name === name);
  return found ?? { zh: name, en: name };
}
