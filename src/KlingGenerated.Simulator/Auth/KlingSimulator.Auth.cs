using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace KlingGenerated.Simulator;

/// <summary>Authentication: the Bearer key, and the key id that separates each key's tasks.</summary>
public sealed partial class KlingSimulator
{
    /// <summary>The caller's key id (SHA-256 of its key), or null when it may not call. The scheme is case-insensitive (RFC 9110).</summary>
    private string? Authenticate(HttpRequest request)
    {
        var key = AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var value)
            && string.Equals(value.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) ? value.Parameter : null;
        if (!_options.DisableAuthentication && (key is null || key != _options.AcceptedApiKey))
        {
            return null;
        }

        key ??= string.Empty;
        if (_keyIds.TryGetValue(key, out var id))
        {
            return id;
        }

        id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

        // Without authentication any key is accepted: keep the cache small rather than grow it per key.
        return _keyIds.Count < 1000 ? _keyIds.GetOrAdd(key, id) : id;
    }
}
