using System.Globalization;
using System.Text;

namespace KlingGenerated.Cli;

/// <summary>Makes text the service sent safe to print: no control characters, no markup.</summary>
// The service's answers are untrusted: an ESC sequence, a CR/LF or a bidi override in a task id or message must not
// clear the screen, forge an `error:` line or reorder what the user reads.
internal static partial class TerminalText
{
    /// <summary>Masks the API key (<see cref="KlingSecrets.Mask"/>), replaces control and bidi-formatting characters with '?' and joins lines, so the text prints as one plain line.</summary>
    public static string Safe(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        text = KlingSecrets.Mask(text);
        StringBuilder? builder = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!IsUnsafe(c))
            {
                builder?.Append(c);
                continue;
            }

            builder ??= new StringBuilder(text.Length).Append(text, 0, i);
            builder.Append(c is '\n' or '\r' or '\t' ? ' ' : '?');
        }

        return builder?.ToString() ?? text;
    }

    /// <summary>
    /// <see cref="Safe"/> text cut at <paramref name="max"/> characters, saying how many were left out: a service's
    /// message of megabytes must not flood the terminal (the ledger and --json keep it whole).
    /// </summary>
    public static string Capped(string? text, int max = 500)
    {
        var safe = Safe(text);
        if (safe.Length <= max)
        {
            return safe;
        }

        var cut = char.IsHighSurrogate(safe[max - 1]) ? max - 1 : max;
        return $"{safe[..cut]}… ({(safe.Length - cut).ToString(CultureInfo.InvariantCulture)} more characters)";
    }

    /// <summary>
    /// The line with every run of more than 200 non-space characters (a hostile task id or URL) cut to its first 100
    /// the same way, so an error line stays readable; the ledger (`kling tasks --json`) keeps the whole id.
    /// </summary>
    public static string WithLongWordsCapped(string line) => LongWord().Replace(line, m => Capped(m.Value, 100));

    [System.Text.RegularExpressions.GeneratedRegex(@"\S{201,}")]
    private static partial System.Text.RegularExpressions.Regex LongWord();

    /// <summary>
    /// The text with the user:password@ part of every URL in it removed, and every other password (a Redis or PostgreSQL
    /// <c>password=</c> setting) redacted by <see cref="SecretText.Redact"/>, so a printed command or error never shows one.
    /// </summary>
    public static string WithoutUserInfo(string text) =>
        SecretText.Redact(System.Text.RegularExpressions.Regex.Replace(text, @"(?<=[A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s@']*@", string.Empty));

    /// <summary>
    /// A <c>kling</c> command to print for the user to paste, such as <c>kling wait ID</c>: the id made <see cref="Safe"/>,
    /// then quoted for a POSIX shell, after <c>--</c> when it starts with '-'. A task id is the service's text: printed raw,
    /// <c>abc;touch x</c> would run <c>touch x</c> when pasted, and <c>--help</c> would print help instead of waiting.
    /// </summary>
    public static string KlingCommand(string verb, string? argument)
    {
        var word = Safe(argument);
        return $"kling {verb} {(word.StartsWith('-') ? "-- " : string.Empty)}{ShellWord(word)}";
    }

    /// <summary>The word as one POSIX shell word: as it is when it holds only plain characters, else in single quotes.</summary>
    public static string ShellWord(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:@,+%".Contains(c))
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Safe text escaped for Spectre.Console markup.</summary>
    public static string Markup(string? text) => Spectre.Console.Markup.Escape(Safe(text));

    private static bool IsUnsafe(char c) =>
        char.IsControl(c) // C0, DEL and C1 (includes ESC and the 8-bit CSI)
        || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format // bidi overrides, zero-width characters
        || c is '\u2028' or '\u2029'; // line and paragraph separators
}
