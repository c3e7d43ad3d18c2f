using System.Net.Http.Headers;
using System.Reflection;

namespace KlingGenerated;

// CUSTOM: every request needs the Bearer key, and a User-Agent because the service's edge answers 403 "error code: 1010" without one.
public partial class KlingClient
{
    /// <summary>The User-Agent this library sends: its name and version.</summary>
    public static readonly string UserAgent = "KlingGenerated/" +
        (typeof(KlingClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0") +
        " (.NET " + Environment.Version.ToString(2) + ")";

    private async Task PrepareRequestAsync(HttpClient client, HttpRequestMessage request, string url, CancellationToken cancellationToken)
    {
        await ValidateAsync(request, url, cancellationToken).ConfigureAwait(false);
        if (request.RequestUri is { IsAbsoluteUri: false } own && BaseOf(request) is { } server)
        {
            // The document gives this operation (the uploads) a server of its own: KlingClientOptions.UploadBaseUrl.
            request.RequestUri = new Uri(server, own);
        }
        else if (request.RequestUri is { IsAbsoluteUri: false } relative && client.BaseAddress is null)
        {
            request.RequestUri = new Uri(_requestBase, relative);
        }

        // KlingResilienceHandler reads answers with the default cap; only a changed cap travels with the request (no allocation otherwise).
        if (_maxResponseBytesOption is not null)
        {
            ((IDictionary<string, object?>)request.Options)[BufferedBody.MaxBytesKey.Key] = _maxResponseBytesOption;
        }

        AttachLogger(request);
        if (_authorization is not null)
        {
            request.Headers.Authorization = _authorization;
        }

        if (client.DefaultRequestHeaders.UserAgent.Count == 0)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        }
    }

    /// <summary>The base URL of an operation the document gives a server of its own (the uploads), or null for the service's.</summary>
    private Uri? BaseOf(HttpRequestMessage request) =>
        KlingOperation.IdOf(request) is { } id && OwnServers.GetOrAdd(id, static key => OpenApi.KlingOpenApiDocument.OwnServerOf(key) is not null) ? _uploadBase : null;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> OwnServers = new(StringComparer.Ordinal);

    /// <summary>The base URL with a trailing slash, so relative operation paths keep any path it has.</summary>
    private static Uri WithTrailingSlash(Uri baseUrl) =>
        baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
}
