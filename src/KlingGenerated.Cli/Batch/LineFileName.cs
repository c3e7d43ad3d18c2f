using System.Security.Cryptography;
using System.Text;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// The video file of a batch line with an <c>id</c>: named by that id, as the user knows the line. The id is user text,
/// so it never becomes a path as it is: characters other than ASCII letters, digits, '_', '-' and '.' become '-', and a
/// changed id gets 8 hex digits of its SHA-256 so two ids never share a name; the library's <see cref="KlingFileNames"/>
/// then applies its own rules (no device names, no leading dot, no "..").
/// </summary>
internal static class LineFileName
{
    private const int MaxStem = 80;

    /// <summary>The file name for the line's video, or null for a line without an id (it is named by its task id).</summary>
    public static string? Of(string? userId, string? rerun)
    {
        if (userId is null)
        {
            return null;
        }

        var clean = new string(userId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '-').ToArray()).Trim('-', '.');
        if (clean.Length > MaxStem)
        {
            clean = clean[..MaxStem];
        }

        var stem = clean == userId && clean.Length > 0 ? clean : $"{(clean.Length > 0 ? clean + "-" : "line-")}{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)))[..8]}";
        return KlingFileNames.ForTask(rerun is null ? stem : $"{stem}.{rerun}"); // a re-run keeps the first run's video
    }
}
