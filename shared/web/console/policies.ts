/**
 * The policies page, as HTML: for each policy, what it takes, who can approve it, who is
 * denied, and what it says for the signed-in person, in the words of `npx jitgate explain`
 * (the same `explainFor`, shared/domain/explain.ts).
 */
import { escapeHtml } from '../../domain/html';
import type { Explanation } from '../../domain/explain';
import type { Requirements } from '../../domain/policy';
import type { ConsoleView } from './layout';
import { requirementsText, shown } from './requests';

export interface PolicyAnswer {
  action: string;
  resource?: string;
  description?: string;
  /** explainFor the signed-in person, on this policy's action and resource. */
  forYou: Explanation;
  requirements: Requirements;
  approvers: { group: string; required: number; members: string[] }[];
  /** Deny rules in words, with their reasons. */
  denied: { when: string; reason: string }[];
  /** Who may ask at all, in words, when the policy limits it. */
  requesters?: string;
}

const VERDICT: Record<Explanation['decision'], string> = {
  denied: 'Denied to you',
  requestable: 'You may ask (approval needed)',
  auto: 'You may ask (no approval needed)',
};

function card(p: PolicyAnswer, index: number): string {
  const e = p.forYou;
  const approvers = p.approvers.length
    ? `<ul>${p.approvers
        .map(
          (a) =>
            `<li>${a.required} from <strong>${shown(a.group)}</strong>: ${shown(a.members.join(', ') || '(no members configured)')}</li>`,
        )
        .join('')}</ul>`
    : '<p>Nobody: no approval is needed.</p>';
  const denied = [
    ...(p.requesters ? [`Anyone not matching: ${p.requesters}`] : []),
    ...p.denied.map((d) => `Where ${d.when}: ${d.reason}`),
  ];
  const id = `policy-${index}`;
  return `<article class="card" aria-labelledby="${id}">
<h2 id="${id}"><code>${shown(p.action)}</code>${p.resource ? ` on <code>${shown(p.resource)}</code>` : ''}</h2>
${p.description ? `<p class="muted">${shown(p.description)}</p>` : ''}
<p><span class="status ${e.decision === 'denied' ? 'no' : 'ok'}">${VERDICT[e.decision]}</span>
<span class="small">${shown(e.reason)}${e.clause ? ` (${shown(e.clause)})` : ''}</span></p>
${e.missing ? `<p class="small">To get it: ${shown(e.missing.join(' → '))}</p>` : ''}
<dl><dt>Takes</dt><dd>${shown(requirementsText(e.decision, p.requirements))}</dd>
<dt>Rule</dt><dd class="mono">${shown(e.rule)}</dd></dl>
<h3>Who can approve</h3>${approvers}
<h3>Who is denied</h3>${denied.length ? `<ul>${denied.map((d) => `<li>${shown(d)}</li>`).join('')}</ul>` : '<p>Nobody by rule.</p>'}
</article>`;
}

export function policiesView(answers: PolicyAnswer[]): ConsoleView {
  return {
    title: 'Policies',
    section: 'policies',
    before:
      `<p>${escapeHtml('What each sensitive action takes, who approves it, who is denied, and what it says for you. ')}` +
      'Any action no policy names is denied.</p>' +
      answers.map(card).join(''),
  };
}
