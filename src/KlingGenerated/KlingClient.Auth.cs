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

    private Task PrepareRequestAsync(HttpClient client, HttpRequestMessage request, string url, CancellationToken cancellationToken)
    {
        _ = url;
        _ = cancellationToken;
        if (request.RequestUri is { IsAbsoluteUri: false } relative && client.BaseAddress is null)
        {
            request.RequestUri = new Uri(WithTrailingSlash(_options.BaseUrl), relative);
        }

        if (!string.IsNullOrEmpty(_options.ApiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        }

        if (client.DefaultRequestHeaders.UserAgent.Count == 0)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        }

        return Task.CompletedTask;
    }

    private static Uri WithTrailingSlash(Uri baseUrl) =>
        baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
}
