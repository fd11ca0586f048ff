/**
 * cdk-nag AwsSolutions: synthesizing with the validation plugin must report no
 * unacknowledged error (cdk-nag 3 fails the in-process synth with the report).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeTemplate } from '../../infra/stack';
import { configWithHttpsIssuer, demoConfig } from './support';

test.each([
  ['the demo config', demoConfig],
  ['a config with an https issuer', configWithHttpsIssuer],
])('no unacknowledged AwsSolutions error with %s', (_name, config) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-nag-'));
  try {
    expect(() => synthesizeTemplate(config(), { bundle: false, nag: true, outdir })).not.toThrow();
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
