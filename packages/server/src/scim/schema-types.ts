/**
 * Attribute definitions (RFC 7643 §2.2, §7). One table serves three readers: the /Schemas
 * endpoint publishes it, the filter checker and evaluator take types and caseExact from it, and
 * PATCH takes mutability from it — so what the server announces is what it enforces.
 */
export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  subAttributes?: AttributeDef[];
  referenceTypes?: string[];
  canonicalValues?: string[];
}

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
}

/** A resource type's core schema, its extensions, and the common attributes (RFC 7643 §3.1). */
export interface ResourceSchema {
  name: string;
  endpoint: string;
  core: SchemaDef;
  extensions: SchemaDef[];
}

type Options = Partial<Omit<AttributeDef, 'name' | 'type' | 'description'>>;

export function attr(name: string, type: AttributeType, description: string, o: Options = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...o,
  };
}

export function findAttribute(attributes: readonly AttributeDef[], name: string): AttributeDef | undefined {
  const lower = name.toLowerCase();
  return attributes.find((a) => a.name.toLowerCase() === lower);
}

/** RFC 7643 §3.1: id, externalId, meta — and `schemas`, which clients filter on too. */
export const COMMON_ATTRIBUTES: AttributeDef[] = [
  attr('schemas', 'reference', 'Schema URIs of the resource.', { multiValued: true, caseExact: true, mutability: 'readOnly', returned: 'always' }),
  attr('id', 'string', 'Identifier issued by Mandate.', { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' }),
  attr('externalId', 'string', 'Identifier issued by the provisioning client.', { caseExact: true }),
  attr('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      attr('resourceType', 'string', 'The resource type.', { caseExact: true, mutability: 'readOnly' }),
      attr('created', 'dateTime', 'When the resource was created.', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', 'When the resource was last changed.', { mutability: 'readOnly' }),
      attr('location', 'reference', 'The URI of the resource.', { caseExact: true, mutability: 'readOnly', referenceTypes: ['uri'] }),
    ],
  }),
];
