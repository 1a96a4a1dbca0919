// The gateway's API, from its /openapi.json: each operation by tag with its parameters, body and
// answers, then the schemas they name. Plain HTML from this origin: no script from elsewhere.
import { useQuery } from '@tanstack/react-query';
import { useI18n } from '../i18n/i18n';
import { Loaded } from '../ui/common';
import { bodySchema, byTag, type Endpoint, type OpenApi, type Schema, typeName } from './openapi';

async function openapi(): Promise<OpenApi> {
  const response = await fetch('/openapi.json');
  if (!response.ok) throw new Error(`/openapi.json: ${response.status}`);
  return (await response.json()) as OpenApi;
}

/** A type, linked to its schema below when it names one. */
function Type({ schema }: { schema: Schema | undefined }) {
  const name = typeName(schema);
  const target = schema?.$ref ?? (schema?.items?.$ref && schema.type === 'array' ? schema.items.$ref : undefined);
  return target ? <a href={`#schema-${target.split('/').pop()}`}>{name}</a> : <code>{name}</code>;
}

function Properties({ schema }: { schema: Schema }) {
  const { t } = useI18n();
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return <Type schema={schema} />;
  return (
    <table>
      <thead>
        <tr>
          <th>{t('docs.name')}</th>
          <th>{t('docs.type')}</th>
          <th>{t('docs.description')}</th>
        </tr>
      </thead>
      <tbody>
        {properties.map(([name, property]) => (
          <tr key={name}>
            <td>
              <code>{name}</code>
              {schema.required?.includes(name) ? <span className="hint"> {t('docs.required')}</span> : null}
            </td>
            <td>
              <Type schema={property} />
            </td>
            <td className="prose">{property.description}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Operation({ endpoint }: { endpoint: Endpoint }) {
  const { t } = useI18n();
  const { method, path, operation } = endpoint;
  const body = bodySchema(operation.requestBody);
  return (
    <details className="card wide operation" id={operation.operationId}>
      <summary>
        <code className={`method method-${method}`}>{method.toUpperCase()}</code> <code>{path}</code> {operation.summary}
        {operation.security?.length ? <span className="hint"> · {t('docs.signedIn')}</span> : null}
      </summary>
      {operation.description ? <p className="prose">{operation.description}</p> : null}
      {operation.parameters?.length ? (
        <>
          <h4>{t('docs.parameters')}</h4>
          <table>
            <thead>
              <tr>
                <th>{t('docs.name')}</th>
                <th>{t('docs.in')}</th>
                <th>{t('docs.type')}</th>
                <th>{t('docs.description')}</th>
              </tr>
            </thead>
            <tbody>
              {operation.parameters.map((p) => (
                <tr key={`${p.in}-${p.name}`}>
                  <td>
                    <code>{p.name}</code>
                    {p.required ? <span className="hint"> {t('docs.required')}</span> : null}
                  </td>
                  <td>{p.in}</td>
                  <td>
                    <Type schema={p.schema} />
                  </td>
                  <td className="prose">{p.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {body ? (
        <>
          <h4>{t('docs.body')}</h4>
          <Type schema={body} />
        </>
      ) : null}
      <h4>{t('docs.responses')}</h4>
      <table>
        <tbody>
          {Object.entries(operation.responses ?? {}).map(([status, response]) => (
            <tr key={status}>
              <td>
                <code>{status}</code>
              </td>
              <td className="prose">{response.description}</td>
              <td>{bodySchema(response) ? <Type schema={bodySchema(response)} /> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

export function ApiReference() {
  const i18n = useI18n();
  const { t } = i18n;
  const query = useQuery({ queryKey: ['openapi'], queryFn: openapi });
  return (
    <>
      <header>
        <h1>{t('docs.title')}</h1>
        <div className="who">
          <a href="/openapi.json">{t('docs.download')}</a>
          <button
            type="button"
            title={t('app.languageLabel')}
            lang={i18n.locale === 'zh' ? 'en' : 'zh-CN'}
            onClick={() => i18n.setLocale(i18n.locale === 'zh' ? 'en' : 'zh')}
          >
            {t('app.language')}
          </button>
        </div>
      </header>
      <main id="main">
        <Loaded query={query}>
          {(doc) => (
            <div className="reference">
              <p>
                {doc.info.title} {doc.info.version} · {t('docs.intro')} <a href="/">{t('docs.console')}</a>
              </p>
              {byTag(doc).map(([tag, endpoints]) => (
                <section key={tag}>
                  <h2>{tag}</h2>
                  {endpoints.map((e) => (
                    <Operation key={`${e.method} ${e.path}`} endpoint={e} />
                  ))}
                </section>
              ))}
              <section>
                <h2>{t('docs.schemas')}</h2>
                {Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => (
                  <details className="card wide" key={name} id={`schema-${name}`}>
                    <summary>
                      <code>{name}</code>
                    </summary>
                    {schema.description ? <p className="prose">{schema.description}</p> : null}
                    <Properties schema={schema} />
                  </details>
                ))}
              </section>
            </div>
          )}
        </Loaded>
      </main>
    </>
  );
}
