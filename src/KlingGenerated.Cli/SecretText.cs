using System.Text.RegularExpressions;

namespace KlingGenerated.Cli;

/// <summary>
/// Connection strings as they may be printed: the password of a URI's user:password@ and the value of any
/// <c>password=</c> setting (Redis's and Npgsql's keyword strings) become ***, and the API key the library's
/// <see cref="KlingSecrets"/> knows is masked. One helper, so every message agrees.
/// </summary>
internal static partial class SecretText
{
    /// <summary>The text with every password it carries replaced by ***.</summary>
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var withoutUri = UriPassword().Replace(KlingSecrets.Mask(text), "$1:***@");
        return KeywordPassword().Replace(withoutUri, "$1***");
    }

    // scheme://user:password@ -> scheme://user:***@
    [GeneratedRegex(@"([A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s@:']*):[^/?#\s@']*@")]
    private static partial Regex UriPassword();

    // password=secret (up to ; , & space or end) -> password=***
    [GeneratedRegex(@"((?:^|[;,&?\s])\s*(?:password|pwd)\s*=\s*)[^;,&\s]*", RegexOptions.IgnoreCase)]
    private static partial Regex KeywordPassword();
}
