package github

// GitHub limits on check runs, named so that code and tests refer to one
// place. Requests beyond them are rejected with 422 Unprocessable Entity.
const (
	// MaxAnnotationsPerRequest is how many annotations one create or update
	// call may carry; more are sent as further updates, which GitHub appends.
	// https://docs.github.com/en/rest/checks/runs#update-a-check-run
	MaxAnnotationsPerRequest = 50

	// ErrTextTooManyAnnotations is GitHub's 422 message for more than
	// MaxAnnotationsPerRequest annotations in one request ("%d were supplied"
	// is the number sent), as observed by API users.
	ErrTextTooManyAnnotations = "Invalid request.\n\nNo more than 50 items are allowed; %d were supplied."

	// MaxSummaryChars is the maximum length of output.summary (and of
	// output.text) in characters.
	// https://docs.github.com/en/rest/checks/runs#create-a-check-run
	MaxSummaryChars = 65535

	// ErrTextSummaryTooLong is the 422 message used (by the fake) for a
	// summary or text over MaxSummaryChars. GitHub documents the limit, not
	// the message.
	ErrTextSummaryTooLong = "Invalid request.\n\nOnly 65535 characters are allowed; %d were supplied."

	// MaxAnnotationMessageBytes bounds one annotation's message: GitHub
	// documents 64 KB per annotation message.
	// https://docs.github.com/en/rest/checks/runs#create-a-check-run
	MaxAnnotationMessageBytes = 64 * 1024

	// MaxAnnotationTitleChars bounds an annotation title; GitHub documents
	// 255 characters.
	MaxAnnotationTitleChars = 255

	// DefaultMaxAnnotations caps the annotations of one check run; findings
	// beyond it are counted in the summary instead (see [WithMaxAnnotations]).
	DefaultMaxAnnotations = 500

	// DefaultMaxBlobBytes is the largest blob a [TreeFS] reads; a bigger file
	// fails to read with [ErrBlobTooLarge] rather than exhausting memory.
	// GitHub's Blobs API itself serves up to 100 MB.
	DefaultMaxBlobBytes = 8 << 20

	// DefaultBlobCacheBytes is the default size of the content-addressed
	// blob cache shared by every installation of an [Apps].
	DefaultBlobCacheBytes = 64 << 20
)

// GitHub's limits on the Markdown bodies the App writes.
const (
	// MaxPullBodyChars is the longest pull request body GitHub accepts,
	// in characters (as for an issue): a longer one is refused with 422
	// "body is too long (maximum is 65536 characters)".
	// https://docs.github.com/en/rest/pulls/pulls#create-a-pull-request
	MaxPullBodyChars = 65536
)
