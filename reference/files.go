package reference

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// storedFile is an uploaded file, kept in memory until deleted.
type storedFile struct {
	id        string
	org       string
	filename  string
	purpose   string
	mimeType  string
	data      []byte
	createdAt time.Time
	expiresAt time.Time
}

const maxPurposeBytes = 256

func knownPurpose(p string) bool {
	switch p {
	case "assistants", "batch", "fine-tune", "vision", "user_data", "evals":
		return true
	}
	return false
}

func acceptedMIMEType(t string) bool {
	switch t {
	case "application/json", "application/jsonl", "application/pdf", "text/plain", "text/markdown",
		"text/csv", "image/png", "image/jpeg", "image/webp", "image/gif":
		return true
	}
	return false
}

// store adds a file owned by org and returns a copy of it.
func (s *Server) store(org, filename, purpose, mimeType string, data []byte, created, expires time.Time) storedFile {
	f := &storedFile{id: "file-" + randomHex(12), org: org, filename: filename, purpose: purpose,
		mimeType: mimeType, data: data, createdAt: created, expiresAt: expires}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[f.id] = f
	return *f
}

// lookupFile returns a copy of a file the principal's organization owns and
// that has not expired.
func (s *Server) lookupFile(p principal, id string) (storedFile, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, aerr := s.ownFileLocked(p, id)
	if aerr != nil {
		return storedFile{}, aerr
	}
	return *f, nil
}

// ownFileLocked is lookupFile's check; the caller holds s.mu.
func (s *Server) ownFileLocked(p principal, id string) (*storedFile, *apiError) {
	f, ok := s.files[id]
	if !ok || f.org != p.org { // another organization's file is not admitted to exist
		return nil, fail(sitFileNotFound, "", fmt.Sprintf("No file with id '%s' was found.", excerpt(id)))
	}
	if !s.opts.Now().Before(f.expiresAt) {
		return nil, fail(sitFileExpired, "", fmt.Sprintf("The file '%s' expired at %s and is no longer available.",
			f.id, f.expiresAt.UTC().Format(time.RFC3339)))
	}
	return f, nil
}

type fileObject struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	Bytes     int    `json:"bytes"`
	CreatedAt int64  `json:"created_at"`
	ExpiresAt int64  `json:"expires_at"`
	Filename  string `json:"filename"`
	Purpose   string `json:"purpose"`
	Status    string `json:"status"`
}

func (f storedFile) object() fileObject {
	return fileObject{ID: f.id, Object: "file", Bytes: len(f.data), CreatedAt: f.createdAt.Unix(),
		ExpiresAt: f.expiresAt.Unix(), Filename: f.filename, Purpose: f.purpose, Status: "processed"}
}

// upload is what a multipart upload carried.
type upload struct {
	purpose     string
	hasPurpose  bool
	hasFile     bool
	filename    string
	contentType string
	data        []byte
}

func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request, p principal) *apiError {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return fail(sitMalformedBody, "", "File uploads must be sent as multipart/form-data (with a boundary), carrying 'purpose' and 'file' fields.")
	}
	up, aerr := readUpload(http.MaxBytesReader(w, r.Body, maxBodyBytes), params["boundary"])
	if aerr != nil {
		return aerr
	}
	switch {
	case !up.hasPurpose || up.purpose == "":
		return fail(sitMissingField, "purpose", "Missing required parameter: 'purpose'.")
	case !knownPurpose(up.purpose):
		return fail(sitInvalidValue, "purpose", fmt.Sprintf(
			"'%s' is not a supported purpose. Use one of 'assistants', 'batch', 'fine-tune', 'vision', 'user_data' or 'evals'.", excerpt(up.purpose)))
	case !up.hasFile:
		return fail(sitMissingField, "file", "Missing required parameter: 'file'.")
	}
	mimeType, _, err := mime.ParseMediaType(up.contentType)
	if err != nil || !acceptedMIMEType(mimeType) {
		return fail(sitInvalidValue, "file", fmt.Sprintf(
			"Files of type '%s' are not supported. Use JSON, JSONL, PDF, plain text, Markdown, CSV, PNG, JPEG, WebP or GIF.", excerpt(up.contentType)))
	}
	if !s.hasCredits(p) {
		return errNoCredits()
	}
	filename := up.filename
	if filename == "" {
		filename = "file"
	}
	now := s.opts.Now()
	f := s.store(p.org, filename, up.purpose, mimeType, up.data, now, now.Add(fileLifetime))
	return s.writeJSON(w, f.object())
}

// readUpload reads a multipart body; the first 'purpose' and 'file' parts
// count, any other part is skipped.
func readUpload(body io.Reader, boundary string) (upload, *apiError) {
	var up upload
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return up, nil
		}
		if err != nil {
			return up, uploadReadError(err)
		}
		switch name := part.FormName(); {
		case name == "purpose" && !up.hasPurpose:
			value, err := io.ReadAll(io.LimitReader(part, maxPurposeBytes))
			if err != nil {
				return up, uploadReadError(err)
			}
			up.purpose, up.hasPurpose = strings.TrimSpace(string(value)), true
		case name == "file" && !up.hasFile:
			data, err := io.ReadAll(part)
			if err != nil {
				return up, uploadReadError(err)
			}
			up.data, up.hasFile = data, true
			up.filename, up.contentType = part.FileName(), part.Header.Get("Content-Type")
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			return up, uploadReadError(err)
		}
	}
}

func uploadReadError(err error) *apiError {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return fail(sitInvalidValue, "file", fmt.Sprintf("The upload exceeds the limit of %d MiB.", maxBodyBytes>>20))
	}
	return fail(sitMalformedBody, "", "The multipart/form-data body could not be parsed.")
}

func (s *Server) retrieveFile(w http.ResponseWriter, p principal, id string) *apiError {
	f, aerr := s.lookupFile(p, id)
	if aerr != nil {
		return aerr
	}
	return s.writeJSON(w, f.object())
}

func (s *Server) fileContent(w http.ResponseWriter, p principal, id string) *apiError {
	f, aerr := s.lookupFile(p, id)
	if aerr != nil {
		return aerr
	}
	h := w.Header()
	h.Set("Content-Type", f.mimeType)
	h.Set("Content-Length", strconv.Itoa(len(f.data)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.data) // a failed write means the client left
	return nil
}

func (s *Server) deleteFile(w http.ResponseWriter, p principal, id string) *apiError {
	s.mu.Lock()
	f, aerr := s.ownFileLocked(p, id)
	if aerr == nil {
		delete(s.files, f.id)
	}
	s.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	return s.writeJSON(w, struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Deleted bool   `json:"deleted"`
	}{ID: id, Object: "file", Deleted: true})
}
