/**
 * cdk-nag AwsSolutions: synthesizing with the validation plugin must report no
 * unacknowledged error (cdk-nag 3 fails the in-process synth with the report), for this
 * repository's stack and for the construct in a platform team's stack (platform-app.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeTemplate } from '../../infra/stack';
import { platformApp, withDomainAndOnCall } from './platform-app';
import { configWithHttpsIssuer, demoConfig } from './support';

// The platform stack first: its resource types include the others' (a custom domain), so CDK's CloudFormation
// validator, whose engine takes seconds to load, loads once for this file (it loads again for a type not seen).
test.each([
  ['the construct inside a platform stack', (outdir: string) => platformApp(outdir, withDomainAndOnCall, { nag: true }).app.synth()],
  ['the demo config', (outdir: string) => synthesizeTemplate(demoConfig(), { bundle: false, nag: true, outdir })],
  ['a config with an https issuer', (outdir: string) => synthesizeTemplate(configWithHttpsIssuer(), { bundle: false, nag: true, outdir })],
])('no unacknowledged AwsSolutions error with %s', (_name, synthesize) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-nag-'));
  try {
    expect(() => synthesize(outdir)).not.toThrow();
    // The report lists what is left: no error, and every acknowledgement has a reason.
    const reportFile = path.join(outdir, 'validation-report.json');
    if (fs.existsSync(reportFile)) {
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
      const text = JSON.stringify(report);
      expect(text).not.toMatch(/"severity":\s*"(error|fatal)"/);
    }
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
