package sarif

// The SARIF 2.1.0 object model, reduced to what assay emits. Field names and
// omitempty choices follow the OASIS schema: every optional member is omitted
// when empty so that a consumer never sees placeholder values.

// Log is the top-level SARIF document (sarifLog).
type Log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []Run  `json:"runs"`
}

// Run is one invocation of assay over one target.
type Run struct {
	Tool               Tool                        `json:"tool"`
	AutomationDetails  *RunAutomationDetails       `json:"automationDetails,omitempty"`
	OriginalURIBaseIDs map[string]ArtifactLocation `json:"originalUriBaseIds,omitempty"`
	Invocations        []Invocation                `json:"invocations"`
	Results            []Result                    `json:"results"`
	ColumnKind         string                      `json:"columnKind,omitempty"`
	Properties         map[string]any              `json:"properties,omitempty"`
}

// Tool wraps the driver component.
type Tool struct {
	Driver ToolComponent `json:"driver"`
}

// ToolComponent describes assay and the rules (policies) it ran.
type ToolComponent struct {
	Name            string                `json:"name"`
	Version         string                `json:"version,omitempty"`
	SemanticVersion string                `json:"semanticVersion,omitempty"`
	InformationURI  string                `json:"informationUri,omitempty"`
	Rules           []ReportingDescriptor `json:"rules"`
}

// ReportingDescriptor is one rule: one assay policy.
type ReportingDescriptor struct {
	ID                   string                  `json:"id"`
	Name                 string                  `json:"name,omitempty"`
	ShortDescription     *MultiformatMessage     `json:"shortDescription,omitempty"`
	FullDescription      *MultiformatMessage     `json:"fullDescription,omitempty"`
	Help                 *MultiformatMessage     `json:"help,omitempty"`
	DefaultConfiguration *ReportingConfiguration `json:"defaultConfiguration,omitempty"`
	Properties           *ReportingDescriptorBag `json:"properties,omitempty"`
}

// MultiformatMessage carries plain text and optional Markdown.
type MultiformatMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

// ReportingConfiguration is a rule's default level.
type ReportingConfiguration struct {
	Level string `json:"level"`
}

// ReportingDescriptorBag holds the properties GitHub code scanning reads on
// rules: tags and security-severity (a number written as a string).
type ReportingDescriptorBag struct {
	Tags             []string `json:"tags,omitempty"`
	SecuritySeverity string   `json:"security-severity,omitempty"`
	Severity         string   `json:"assay/severity,omitempty"`
	Enforcement      string   `json:"assay/enforcement,omitempty"`
	Bundle           string   `json:"assay/bundle,omitempty"`
	Source           string   `json:"assay/source,omitempty"`
}

// RunAutomationDetails identifies the run; GitHub takes everything before
// the last slash of ID as the analysis category.
type RunAutomationDetails struct {
	ID string `json:"id"`
}

// ArtifactLocation names a file, relative to a uriBaseId when one is set.
type ArtifactLocation struct {
	URI         string   `json:"uri,omitempty"`
	URIBaseID   string   `json:"uriBaseId,omitempty"`
	Description *Message `json:"description,omitempty"`
}

// Message is plain text.
type Message struct {
	Text string `json:"text"`
}

// Invocation records how the run ended.
type Invocation struct {
	ExecutionSuccessful        bool           `json:"executionSuccessful"`
	ExitCode                   *int           `json:"exitCode,omitempty"`
	StartTimeUTC               string         `json:"startTimeUtc,omitempty"`
	EndTimeUTC                 string         `json:"endTimeUtc,omitempty"`
	ToolExecutionNotifications []Notification `json:"toolExecutionNotifications,omitempty"`
}

// Notification is a collector error, a skipped item, a policy that could not
// be evaluated, or a note that output was truncated.
type Notification struct {
	Descriptor     *ReportingDescriptorReference `json:"descriptor,omitempty"`
	AssociatedRule *ReportingDescriptorReference `json:"associatedRule,omitempty"`
	Level          string                        `json:"level"`
	Message        Message                       `json:"message"`
	Locations      []Location                    `json:"locations,omitempty"`
	Properties     map[string]any                `json:"properties,omitempty"`
}

// ReportingDescriptorReference points at a rule or notification descriptor.
type ReportingDescriptorReference struct {
	ID    string `json:"id"`
	Index *int   `json:"index,omitempty"`
}

// Result is one finding.
type Result struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Kind                string            `json:"kind,omitempty"`
	Level               string            `json:"level"`
	Message             Message           `json:"message"`
	Locations           []Location        `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	// Suppressions mark a waived finding; BaselineState is "new" or
	// "unchanged" against --baseline.
	Suppressions  []Suppression  `json:"suppressions,omitempty"`
	BaselineState string         `json:"baselineState,omitempty"`
	Properties    map[string]any `json:"properties,omitempty"`
}

// Suppression is an accepted risk: a waiver (kind external, status
// accepted) with its justification.
type Suppression struct {
	Kind          string         `json:"kind"`
	Status        string         `json:"status,omitempty"`
	Justification string         `json:"justification,omitempty"`
	Properties    map[string]any `json:"properties,omitempty"`
}

// Location wraps a physical location.
type Location struct {
	PhysicalLocation *PhysicalLocation `json:"physicalLocation,omitempty"`
}

// PhysicalLocation is a file and, when known, a line.
type PhysicalLocation struct {
	ArtifactLocation ArtifactLocation `json:"artifactLocation"`
	Region           *Region          `json:"region,omitempty"`
}

// Region is a line range; assay only knows start lines.
type Region struct {
	StartLine int `json:"startLine"`
}
