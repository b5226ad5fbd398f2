# assay's SARIF to a GitLab Code Quality report (the JSON array of issues the
# merge request widget shows):
#
#   jq -f sarif-to-codequality.jq --arg prefix "" assay.sarif > gl-code-quality-report.json
#
# prefix is prepended to each path: for `assay scan --root deploy/rootfs`,
# --arg prefix deploy/rootfs/ makes the paths those of the repository.
# Severities map critical, high, medium, low, info to blocker, critical,
# major, minor, info. Each issue keeps assay's fingerprint, which is stable
# across line moves, so GitLab tracks it from one pipeline to the next.
def severity:
  {"critical": "blocker", "high": "critical", "medium": "major", "low": "minor", "info": "info"}[.] // "info";

[
  .runs[] | .results[]? |
  (.locations[0].physicalLocation // {}) as $loc |
  {
    type: "issue",
    check_name: .ruleId,
    description: "\(.ruleId): \(.message.text)",
    categories: ["Security"],
    severity: (.properties["assay/severity"] | severity),
    fingerprint: (.partialFingerprints["assayFingerprint/v1"] // (.ruleId + .message.text | @base64)),
    location: {
      path: ($prefix + ($loc.artifactLocation.uri // ".")),
      lines: {begin: ($loc.region.startLine // 1)}
    }
  }
]
