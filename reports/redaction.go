package reports

import (
	"reflect"

	"github.com/gatecheck/gatecheck/redact"
)

// Redact replaces the secrets in every string of the report (package
// redact): reasons echo the target's answers, which may quote
// credentials, and the target URL may carry a password. Build the report,
// then Redact it once: JSON, JUnit, Markdown, HTML and the terminal
// summary are all derived from it. Map keys (status codes, measurement
// names) are left as they are; map values are redacted.
func (r *Report) Redact() { redactStrings(reflect.ValueOf(r).Elem()) }

// redactStrings walks v and redacts every settable string in it, so that a
// field added to the report later is covered too.
func redactStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); v.CanSet() {
			if red := redact.String(s); red != s {
				v.SetString(red)
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			redactStrings(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			redactStrings(v.Index(i))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			redactStrings(v.Elem())
		}
	case reflect.Map:
		// Map values cannot be set in place: redact a copy and store it.
		for _, k := range v.MapKeys() {
			cp := reflect.New(v.Type().Elem()).Elem()
			cp.Set(v.MapIndex(k))
			redactStrings(cp)
			v.SetMapIndex(k, cp)
		}
	}
}
