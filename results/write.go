package results

import (
	"fmt"
	"io"
)

// WriteConfig writes one config line, "key: value"; an empty value is
// written as "unknown" (benchfmt reads "key:" alone as the key unset).
func WriteConfig(w io.Writer, key, value string) error {
	if value == "" {
		value = "unknown"
	}
	_, err := fmt.Fprintf(w, "%s: %s\n", key, value)
	return err
}

// WriteCatalogue writes the catalogue line of every transport in ts, in
// that order.
func WriteCatalogue(w io.Writer, ts []Transport) error {
	for _, t := range ts {
		if err := WriteConfig(w, t.ConfigKey(), t.ConfigValue()); err != nil {
			return err
		}
	}
	return nil
}

// WriteUnits writes the Unit line of every unit but ns/op and MB/s, whose
// direction benchfmt and benchstat know.
func WriteUnits(w io.Writer) error {
	for _, u := range units {
		if u.Name == UnitNsOp || u.Name == UnitMBs {
			continue
		}
		if _, err := fmt.Fprintln(w, u.Line()); err != nil {
			return err
		}
	}
	return nil
}
