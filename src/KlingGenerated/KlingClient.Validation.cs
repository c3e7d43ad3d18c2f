using System.ComponentModel.DataAnnotations;
using KlingGenerated.OpenApi;

namespace KlingGenerated;

// CUSTOM: the service reports bad parameters only after a round trip (and sometimes after charging); check them against the document first.
public partial class KlingClient
{
    /// <summary>Checks the request against the document; throws <see cref="ValidationException"/> and sends nothing on a violation.</summary>
    private async Task ValidateAsync(HttpRequestMessage request, string url, CancellationToken cancellationToken)
    {
        if (!_options.ValidateRequests)
        {
            return;
        }

        // The generated code buffered the body already; its read stream copies nothing. HttpContent caches that
        // stream, so it is rewound for any later reader instead of disposed.
        // A multipart form (the uploads) is not JSON: UploadFileAsync checks its file and fields before building it.
        var body = request.Content is null or MultipartContent ? null : await request.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var problems = RequestValidator.Validate(request.Method.Method, url, body);
        if (body is { CanSeek: true })
        {
            body.Position = 0;
        }

        if (problems.Count > 0)
        {
            throw new ValidationException(
                "The request was not sent: " + string.Join(" ", problems) +
                " Fix the value, or set KlingClientOptions.ValidateRequests to false to let the service judge.");
        }
    }
}
