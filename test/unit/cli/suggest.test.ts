import { didYouMean, editDistance, nearest } from '../../../cli/suggest';

describe('cli/suggest: the nearest command or option to a typo', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('request', 'request')).toBe(0);
    expect(editDistance('reqest', 'request')).toBe(1);
    expect(editDistance('aprove', 'approve')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests what is near enough, or a word the typo starts, and nothing for a word from elsewhere', () => {
    const verbs = ['request', 'status', 'list', 'approve', 'deny', 'cancel', 'revoke', 'watch'];
    expect(nearest('reqeust', verbs)).toBe('request');
    expect(nearest('stauts', verbs)).toBe('status');
    expect(nearest('appr', verbs)).toBe('approve');
    expect(nearest('kubectl', verbs)).toBeUndefined();
    expect(didYouMean('--resorce', ['--resource', '--reason'], (s) => s)).toBe('; did you mean --resource?');
    expect(didYouMean('zzz', verbs)).toBe('');
  });
});
