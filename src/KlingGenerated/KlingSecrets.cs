using System.Diagnostics.CodeAnalysis;

namespace KlingGenerated;

/// <summary>
/// The secrets that must never appear in anything printed, logged or recorded: every <see cref="KlingClient"/> adds its
/// API key here, and <see cref="Mask"/> replaces each of them with <see cref="Replacement"/>. The library masks the
/// service's words (messages, task ids, failCode, failMsg, states, URLs) with it before they become an exception
/// message, a log record or a telemetry attribute; the CLI, the AI tools and the simulator use the same hook for
/// what they print, so a hostile service that echoes the key shows it nowhere.
/// </summary>
/// <remarks>
/// Process-wide on purpose: text from one client's answers reaches loggers, exporters and writers that know no client.
/// Values shorter than <see cref="MinimumLength"/> characters are not added (masking them would rewrite ordinary words).
/// A value once added is never forgotten: no capacity, no eviction, no lifetime tied to a client. A key is masked as long
/// as the process lives, because what it protects outlives the client that added it (an exception message, a ledger
/// row, a log line printed later; an earlier bound of 256 keys evicted the oldest and a CI run then printed a key
/// unmasked). Memory is one entry per distinct key the process used, which a real process keeps small (adding the
/// same key again costs nothing); <see cref="Mask"/> looks for each of them.
/// </remarks>
// CUSTOM: one masking hook for the library and the tools on it (no InternalsVisibleTo between shipped packages).
public static class KlingSecrets
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Replacement = "[API key]";

    /// <summary>The shortest value <see cref="Add"/> accepts.</summary>
    public const int MinimumLength = 8;

    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal);
    private static volatile string[] _secrets = [];

    /// <summary>Adds a value (an API key) that <see cref="Mask"/> hides from now on, for the rest of the process; null, blank and short values are ignored.</summary>
    /// <param name="secret">The value to hide.</param>
    public static void Add(string? secret)
    {
        if (string.IsNullOrWhiteSpace(secret) || secret.Length < MinimumLength)
        {
            return;
        }

        lock (Gate)
        {
            if (!Known.Add(secret))
            {
                return;
            }

            // Longest first, so a secret that contains another is replaced whole; readers see the old or the new array, never a half-built one.
            var secrets = _secrets;
            var at = 0;
            while (at < secrets.Length && secrets[at].Length >= secret.Length)
            {
                at++;
            }

            _secrets = [.. secrets.AsSpan(0, at), secret, .. secrets.AsSpan(at)];
        }
    }

    /// <summary>
    /// The text with every secret added so far replaced by <see cref="Replacement"/>: the same instance when it holds
    /// none (no allocation), null for null.
    /// </summary>
    /// <param name="text">Text that may carry a secret, such as anything the service sent.</param>
    [return: NotNullIfNotNull(nameof(text))]
    public static string? Mask(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        var secrets = _secrets;
        foreach (var secret in secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Replacement, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
