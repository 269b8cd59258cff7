package reports

import (
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A template rendering stops at its first write once its Input's Done
// is closed (Input.written), instead of running to its end beside the
// compact rendering that replaces it.
func TestAbandonedTemplateStopsAtItsNextWrite(t *testing.T) {
	done := make(chan struct{})
	writes, failed := 0, 0
	text, err := Input{Done: done}.written(func(w io.Writer) error {
		for i := range 5 {
			if i == 2 {
				close(done)
			}
			writes++
			if _, err := io.WriteString(w, "x"); err != nil {
				failed++
				return err
			}
		}
		return nil
	})
	assert.True(t, errors.Is(err, ErrAbandoned), "%v", err)
	assert.Empty(t, text)
	assert.Equal(t, 3, writes, "the first write after Done fails and the rendering stops")
	assert.Equal(t, 1, failed)
}
