// Builders for Describe(): selectors, the finding, the description.

package sandtrap

// DescriptionBuilder builds a Description; start one with Describe.
type DescriptionBuilder struct{ d Description }

// Describe starts a description with the detector's id, name and version.
func Describe(id, name, version string) *DescriptionBuilder {
	return &DescriptionBuilder{d: Description{
		ID:      id,
		Name:    name,
		Version: version,
		Finding: FindingDefinition{Severity: SeverityMedium},
	}}
}

// Description sets the description text.
func (b *DescriptionBuilder) Description(text string) *DescriptionBuilder {
	b.d.Description = text
	return b
}

// Selector adds a selector; the detector is called when any one matches.
func (b *DescriptionBuilder) Selector(s Selector) *DescriptionBuilder {
	b.d.Selectors = append(b.d.Selectors, s)
	return b
}

// Requires declares a store the detector cannot run without.
func (b *DescriptionBuilder) Requires(store string) *DescriptionBuilder {
	b.d.RequiredStores = append(b.d.RequiredStores, store)
	return b
}

// Uses declares a store the detector uses when available.
func (b *DescriptionBuilder) Uses(store string) *DescriptionBuilder {
	b.d.OptionalStores = append(b.d.OptionalStores, store)
	return b
}

// Finding sets the finding definition.
func (b *DescriptionBuilder) Finding(f *FindingBuilder) *DescriptionBuilder {
	b.d.Finding = f.f
	return b
}

// Build returns the description.
func (b *DescriptionBuilder) Build() Description { return b.d }

// Select picks events named event (`*` for every event).
func Select(event string) Selector { return Selector{Event: event} }

// Filter adds a condition `field op value`; all of a selector's filters
// must hold. Numbers and booleans compare as text.
func (s Selector) Filter(field string, op FilterOp, value string) Selector {
	s.Filters = append(s.Filters[:len(s.Filters):len(s.Filters)], FieldFilter{Field: field, Op: op, Value: value})
	return s
}

// FindingBuilder builds a FindingDefinition; start one with Finding.
type FindingBuilder struct{ f FindingDefinition }

// Finding starts a finding definition with a name and default severity.
func Finding(name string, severity Severity) *FindingBuilder {
	return &FindingBuilder{f: FindingDefinition{Name: name, Severity: severity}}
}

// Description sets the finding's description.
func (b *FindingBuilder) Description(text string) *FindingBuilder {
	b.f.Description = text
	return b
}

// Mitre sets the MITRE ATT&CK tactic and technique id.
func (b *FindingBuilder) Mitre(tactic, technique string) *FindingBuilder {
	b.f.MitreTactic = tactic
	b.f.MitreTechnique = technique
	return b
}

// Fields declares the fields detections carry.
func (b *FindingBuilder) Fields(names ...string) *FindingBuilder {
	b.f.Fields = append(b.f.Fields, names...)
	return b
}
