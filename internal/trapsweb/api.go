package trapsweb

import (
	"encoding/json"
	"net/http"

	"github.com/snmptrap-exporter/snmptrap_exporter/internal/traps"
)

// apiHandler answers /api/v1/traps (admitted traps) or /api/v1/refused
// (refused messages) with {"records": [...]}, newest first, or with
// {"error": "..."} and status 400 (a bad parameter) or 405 (a method
// other than GET or HEAD).
type apiHandler struct {
	h       *traps.History
	refused bool
}

// trapsResponse and refusedResponse are the answers: an object, so that
// fields can be added beside the records without breaking clients.
type trapsResponse struct {
	Records []traps.Record `json:"records"`
}

type refusedResponse struct {
	Records []traps.Refused `json:"records"`
}

type errorResponse struct {
	Error string `json:"error"`
}

func (a apiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowRead(w, r, writeError) {
		return
	}
	known, size := trapParams, a.h.Size()
	if a.refused {
		known, size = refusedParams, a.h.RefusedSize()
	}
	req, err := parse(r.URL.Query(), known, size)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if a.refused {
		recs := a.h.RefusedRecords(req.query)
		if recs == nil {
			recs = []traps.Refused{}
		}
		writeJSON(w, http.StatusOK, refusedResponse{Records: recs})
		return
	}
	writeJSON(w, http.StatusOK, trapsResponse{Records: a.h.Records(req.query)})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorResponse{Error: msg})
}

// writeJSON writes v. The encoder escapes <, > and & in strings, so that
// a device's text stays inert even where a client mistakes the answer for
// HTML.
func writeJSON(w http.ResponseWriter, status int, v any) {
	noStore(w)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client's connection; nothing to do on error
}
