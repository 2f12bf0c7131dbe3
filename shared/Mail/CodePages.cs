using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace Sift.Mail;

internal static class CodePages
{
    /// <summary>
    /// Mail still arrives in Shift_JIS, GB18030, KOI8-R, windows-125x and ISO-2022-JP, which .NET only decodes once the
    /// code-pages provider is registered. It must happen before MimeKit first looks a charset up (it remembers misses),
    /// so it runs when this assembly loads.
    /// </summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "Registering an encoding provider is process-wide by nature and must precede any MimeKit use.")]
    internal static void Register() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
}
