// Gate C: the periodic review, as a page a person reads.
export const section = {
  title: 'Gate C: gate review, the periodic report (text and HTML)',
  why: 'Integrity first, then leases, control-plane changes, ADRs, bypasses, health and recommendations, with evidence.',
};
export const steps = [
  {
    title: 'gate review names the bypass (its Bypass section and first recommendation shown here)',
    cmd: "gate review --since 1d > .git/review.txt; code=$?; sed -n '/^Bypass/,/^$/p' .git/review.txt | cut -c1-150; sed -n '/^Recommendations/,/^  - /p' .git/review.txt | cut -c1-220; exit $code",
    check: (r, sb) => {
      const sha = sb.sh('git rev-parse --short=7 HEAD').stdout.trim();
      return r.stdout.includes(sha) ? undefined : `the review did not name the bypass commit ${sha}`;
    },
  },
  {
    title: 'gate review --format html --out review.html writes a page to open in a browser',
    cmd: 'gate review --since 1d --format html --out review.html && ls -l review.html | awk \'{print $5, $NF}\' && grep -o "<title>[^<]*</title>" review.html | head -1',
    check: (r, sb) => {
      const html = sb.read('review.html');
      const sha = sb.sh('git rev-parse --short=7 HEAD').stdout.trim();
      return html.startsWith('<!doctype html>') || html.toLowerCase().startsWith('<!doctype html>') ? (html.includes(sha) ? undefined : `the page does not name the bypass commit ${sha}`) : 'review.html is not an HTML page';
    },
  },
];
