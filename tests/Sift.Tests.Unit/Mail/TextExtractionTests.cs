using System.Text;
using System.Text.Json;

namespace Sift.Mail;

public sealed class TextExtractionTests
{
    [Fact]
    public void Html_becomes_text_without_scripts_styles_hidden_preheaders_or_comments()
    {
        const string html = """
            <html><head><title>Ignored</title><style>p { color: red }</style></head>
            <body><div style="display: none">Hidden preheader</div><!-- a comment -->
            <p>Hello&nbsp;team,</p><p>Our <b>invoice</b> is <a href="https://pay.example/inv/42">here</a>.</p>
            <script>alert('x')</script><ul><li>one</li><li>two</li></ul></body></html>
            """;

        var text = HtmlText.ToText(html);

        Assert.Equal("Hello team,\n\nOur invoice is here (https://pay.example/inv/42).\n\n- one\n- two", text);
    }

    [Fact]
    public void Html_quotes_marked_up_by_mail_clients_are_left_out_of_the_new_text()
    {
        const string gmail = """<div dir="ltr">Yes, Thursday works.</div><br><div class="gmail_quote"><div>On Mon, Ana wrote:</div><blockquote>Can we meet?</blockquote></div>""";
        const string outlook = """<div>Thanks, approved.</div><hr><div id="divRplyFwdMsg"><b>From:</b> Ana<br><b>Sent:</b> Monday</div><div>Please approve the quote.</div>""";

        Assert.Equal("Yes, Thursday works.", HtmlText.ToText(gmail, withoutQuotes: true));
        Assert.Equal("Thanks, approved.", HtmlText.ToText(outlook, withoutQuotes: true));
        Assert.Contains("Can we meet?", HtmlText.ToText(gmail), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Sounds good, see you then.\n\nOn Tue, 3 Mar 2026 at 10:04, Ana Lopez <ana@customer.example> wrote:\n> Shall we meet Thursday?")]
    [InlineData("Sounds good, see you then.\n\nOn Tue, 3 Mar 2026 at 10:04, Ana Lopez <ana@customer.example>\nwrote:\n> Shall we meet Thursday?")]
    [InlineData("Sounds good, see you then.\n\n-----Original Message-----\nFrom: Ana\nSent: Tuesday\nShall we meet Thursday?")]
    [InlineData("Sounds good, see you then.\n\n________________________________\nFrom: Ana Lopez <ana@customer.example>\nSent: Tuesday, March 3, 2026 10:04\nTo: Support\nSubject: Meeting\n\nShall we meet Thursday?")]
    [InlineData("Sounds good, see you then.\n\nLe mar. 3 mars 2026 à 10:04, Ana <ana@customer.example> a écrit :\n> On se voit jeudi ?")]
    [InlineData("Sounds good, see you then.\n\nAm Di., 3. März 2026 um 10:04 Uhr schrieb Ana <ana@customer.example>:\n> Treffen wir uns Donnerstag?")]
    [InlineData("Sounds good, see you then.\n--\nAna Lopez\nHead of Operations, Customer Ltd")]
    [InlineData("Sounds good, see you then.\n\nSent from my iPhone")]
    public void The_new_text_is_separated_from_quoted_history_and_signatures(string text)
    {
        Assert.Equal("Sounds good, see you then.", ReplyText.Split(text).NewText);
    }

    [Fact]
    public void Inline_quotes_go_to_the_history_and_the_answers_stay()
    {
        var parts = ReplyText.Split("> What is the price?\nIt is 40 EUR per seat.\n> And the discount?\nNone this quarter.");

        Assert.Equal("It is 40 EUR per seat.\nNone this quarter.", parts.NewText);
        Assert.Contains("What is the price?", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_that_is_only_a_quote_keeps_its_whole_text_as_new()
    {
        Assert.Equal("> forwarded without comment", ReplyText.Split("> forwarded without comment").NewText);
    }

    [Theory]
    [InlineData("Hello, could you tell me where I change the address on my account? Thanks", "en")]
    [InlineData("Guten Tag, ich habe eine Frage zu meiner Rechnung. Können Sie mir bitte helfen? Vielen Dank", "de")]
    [InlineData("Bonjour, je voudrais savoir si vous pouvez nous envoyer la facture. Merci", "fr")]
    [InlineData("Hola, quisiera saber el precio de la licencia para mi equipo. Gracias", "es")]
    [InlineData("お世話になっております。請求書についてご確認ください。", "ja")]
    [InlineData("Здравствуйте, пришлите, пожалуйста, счёт за этот месяц.", "ru")]
    [InlineData("안녕하세요, 청구서를 보내주시겠어요?", "ko")]
    public void The_language_is_guessed(string text, string expected)
    {
        Assert.Equal(expected, LanguageGuess.Guess(text));
    }

    [Fact]
    public void Too_little_text_has_no_language()
    {
        Assert.Null(LanguageGuess.Guess("OK"));
        Assert.Null(LanguageGuess.Guess("   "));
    }

    [Theory]
    [InlineData("windows-1252", "Caf\u00e9 cr\u00e8me \u20ac5")]
    [InlineData("iso-8859-2", "Dzie\u0144 dobry, prosz\u0119 o faktur\u0119")]
    [InlineData("koi8-r", "\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439\u0442\u0435")]
    [InlineData("shift_jis", "\u8acb\u6c42\u66f8\u3092\u9001\u3063\u3066\u304f\u3060\u3055\u3044")]
    public void Legacy_charsets_are_decoded(string charset, string text)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var encoding = Encoding.GetEncoding(charset);
        var head = Encoding.ASCII.GetBytes($"From: a@customer.example\r\nTo: support@contoso.example\r\nSubject: charset\r\nMessage-ID: <{charset}@t>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        var raw = head.Concat(encoding.GetBytes(text)).ToArray();

        var message = MimeNormalizer.Parse(raw, TestMail.Now).Message!;

        Assert.Equal(text, message.Text);
    }

    [Fact]
    public void A_parsed_reply_carries_its_new_text_language_and_attachments_separately()
    {
        var message = TestMail.ParseValid("""
            From: Ana Lopez <ana@customer.example>
            To: support@contoso.example
            Subject: Re: Meeting
            Message-ID: <r1@customer.example>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b"

            --b
            Content-Type: text/plain; charset=utf-8

            Thursday at 10 works for us, thank you.

            On Mon, 2 Mar 2026, Support <support@contoso.example> wrote:
            > Would Thursday suit you?
            --b
            Content-Type: application/pdf; name="agenda.pdf"
            Content-Disposition: attachment; filename="agenda.pdf"
            Content-Transfer-Encoding: base64

            JVBERi0xLjQK
            --b--
            """);

        Assert.Equal("Thursday at 10 works for us, thank you.", message.NewText);
        Assert.Contains("Would Thursday suit you?", message.Text, StringComparison.Ordinal);
        Assert.Equal("en", message.Language);
        Assert.Equal(new AttachmentInfo("agenda.pdf", "application/pdf", 9), Assert.Single(message.Attachments));
    }

    [Fact]
    public void Language_guesses_made_on_the_helpdesk_corpus_agree_with_its_labels()
    {
        var folder = Path.Combine(RepoPaths.SharedData, "autoreplies-helpdesk-fixtures");
        var labels = Path.Combine(folder, "labels.jsonl");
        if (!File.Exists(labels))
        {
            Assert.Skip($"../shared/data/autoreplies-helpdesk-fixtures is not present (looked for {labels}).");
        }

        var (right, abstained, wrong) = (0, 0, new List<string>());
        foreach (var line in File.ReadLines(labels).Where(l => l.Length > 0))
        {
            var row = JsonDocument.Parse(line).RootElement;
            var message = MimeNormalizer.Parse(File.ReadAllBytes(Path.Combine(folder, row.GetProperty("file").GetString()!)), TestMail.Now).Message;
            if (message is null || row.GetProperty("kind").GetString() is not ("human" or "auto_reply"))
            {
                continue;
            }

            var expected = row.GetProperty("language").GetString();
            var guessed = LanguageGuess.Guess($"{message.Subject}\n{message.Latest}");
            if (guessed == expected)
            {
                right++;
            }
            else if (guessed is null)
            {
                abstained++;
            }
            else
            {
                wrong.Add($"{row.GetProperty("id").GetString()}: {expected} guessed as {guessed ?? "none"}");
            }
        }

        // A guess may abstain on short or empty text (the lint then has nothing to compare); a guess it makes must be right.
        Assert.True(right >= (right + wrong.Count) * 0.8, $"{right} right, {abstained} abstained; wrong: {string.Join("; ", wrong)}");
        Assert.True(abstained <= (right + abstained + wrong.Count) / 4, $"{abstained} abstained of {right + abstained + wrong.Count}");
    }

    [Fact]
    public void Hostile_nesting_is_read_without_exhausting_the_stack()
    {
        var deep = string.Concat(Enumerable.Repeat("<div>", 100_000)) + "hello" + string.Concat(Enumerable.Repeat("</div>", 100_000));

        var text = HtmlText.ToText(deep, withoutQuotes: true);

        Assert.Equal("hello", text);
        Assert.EndsWith("and shallow", HtmlText.ToText(string.Concat(Enumerable.Repeat("<div>", 600)) + "deep" + string.Concat(Enumerable.Repeat("</div>", 600)) + "<p>and shallow</p>"), StringComparison.Ordinal);
    }
}
