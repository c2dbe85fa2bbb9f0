using System.Buffers;
using System.Globalization;
using System.Text;

namespace Serverless.Videos;

/// <summary>
/// The rule for the file name a client gives when it creates an upload. The name is only a label shown back to people
/// (blobs are named by video id), so the rule is about display: it refuses what can make a name look like another one.
/// </summary>
/// <remarks>
/// A name is trimmed, normalised to NFC (so its length and comparisons do not depend on how the client's OS composed
/// accents), and refused, not silently cleaned, when it holds:
/// <list type="bullet">
/// <item>control characters (Cc: C0, DEL, C1);</item>
/// <item>format characters (Cf): the bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)
/// reorder what is displayed (<c>clip\u202Egpj.mp4</c> shows as <c>clip4pm.jpg</c>), and the invisible ones (U+00AD,
/// U+200B, U+2060–U+2064, U+FEFF, …) make two different names look the same;</item>
/// <item>line and paragraph separators (U+2028, U+2029), which break a one-line label;</item>
/// <item>unpaired surrogates (not text at all) and the path separators <c>/</c> and <c>\</c>.</item>
/// </list>
/// Three kinds of Cf are part of real names and stay allowed: ZERO WIDTH JOINER (U+200D: emoji sequences such as
/// 👨‍👩‍👧, and required in Indic scripts), ZERO WIDTH NON-JOINER (U+200C: required in Persian and Indic words), and
/// tag characters only inside an emoji tag sequence (🏴 U+1F3F4, 1–6 tags U+E0020–U+E007E, then U+E007F: the
/// flags of England, Scotland and Wales). Anywhere else tags are invisible ASCII, so they are refused.
/// Refusing rather than stripping keeps the stored name the one the client sent; the client can fix it and ask again.
/// </remarks>
internal static class UploadFileName
{
    /// <summary>In UTF-16 code units, after trimming and NFC.</summary>
    public const int MaxLength = 255;

    private const int BlackFlag = 0x1F3F4;
    private const int CancelTag = 0xE007F;
    private const int MaxTagSpec = 6; // A Unicode subdivision id: 2-letter region + 1–4 letters or digits.

    /// <summary>The name to store, or the reason (naming the field) it is refused.</summary>
    public static bool TryNormalize(string? raw, out string name, out string? error)
    {
        name = raw?.Trim() ?? string.Empty;
        error = null;
        if (FindRefused(name) is { } refused)
        {
            name = string.Empty;
            error = refused;
            return false;
        }

        name = name.Normalize(NormalizationForm.FormC);
        if (name.Length is 0 or > MaxLength || name.Contains('/') || name.Contains('\\'))
        {
            name = string.Empty;
            error = $"fileName is required: 1–{MaxLength} characters, no path separators or control characters.";
            return false;
        }

        return true;
    }

    /// <summary>The first character the rule refuses, described; null when there is none. NFC neither adds nor removes these.</summary>
    private static string? FindRefused(string name)
    {
        var text = name.AsSpan();
        for (var i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text[i..], out var rune, out var used) != OperationStatus.Done)
            {
                return $"fileName is not valid text: an unpaired surrogate U+{(int)text[i]:X4} at position {i}.";
            }

            if (rune.Value == BlackFlag && TagSequenceLength(text[(i + used)..]) is var tags and > 0)
            {
                i += used + tags;
                continue;
            }

            if (IsRefused(rune))
            {
                return $"fileName must not contain control, invisible or text-direction characters: U+{rune.Value:X4} at position {i}.";
            }

            i += used;
        }

        return null;
    }

    private static bool IsRefused(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => true,
        UnicodeCategory.Format => rune.Value is not (0x200C or 0x200D),
        _ => false,
    };

    /// <summary>The UTF-16 length of a well-formed tag spec and cancel tag at the start of <paramref name="text"/>, or 0.</summary>
    private static int TagSequenceLength(ReadOnlySpan<char> text)
    {
        var length = 0;
        for (var count = 0; Rune.DecodeFromUtf16(text[length..], out var tag, out var used) == OperationStatus.Done; count++)
        {
            length += used;
            if (tag.Value == CancelTag)
            {
                return count is > 0 and <= MaxTagSpec ? length : 0;
            }

            if (tag.Value is < 0xE0020 or > 0xE007E)
            {
                return 0;
            }
        }

        return 0;
    }
}
