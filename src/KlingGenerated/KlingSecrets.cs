using System.Collections.Concurrent;
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
/// Values shorter than <see cref="MinimumLength"/> characters are not added (masking them would rewrite ordinary words);
/// at most <see cref="Capacity"/> distinct values are kept, the oldest forgotten first.
/// </remarks>
// CUSTOM: one masking hook for the library and the tools on it (no InternalsVisibleTo between shipped packages).
public static class KlingSecrets
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Replacement = "[API key]";

    /// <summary>The shortest value <see cref="Add"/> accepts.</summary>
    public const int MinimumLength = 8;

    /// <summary>The most distinct values kept.</summary>
    public const int Capacity = 256;

    private static readonly ConcurrentDictionary<string, byte> Known = new(StringComparer.Ordinal);
    private static readonly ConcurrentQueue<string> Order = new();
    private static volatile string[] _secrets = [];

    /// <summary>Adds a value (an API key) that <see cref="Mask"/> hides from now on; null, blank and short values are ignored.</summary>
    /// <param name="secret">The value to hide.</param>
    public static void Add(string? secret)
    {
        if (string.IsNullOrWhiteSpace(secret) || secret.Length < MinimumLength || !Known.TryAdd(secret, 0))
        {
            return;
        }

        Order.Enqueue(secret);
        while (Known.Count > Capacity && Order.TryDequeue(out var oldest))
        {
            Known.TryRemove(oldest, out _);
        }

        // Longest first, so a secret that contains another is replaced whole.
        _secrets = [.. Known.Keys.OrderByDescending(s => s.Length)];
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
