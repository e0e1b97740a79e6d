package journey

import "fmt"

// checkFormat refuses a printf format whose verbs could allocate more than
// the template limits allow before anything can stop them: a width or
// precision above MaxFormatWidth, widths that together exceed the output
// limit, or a width taken from an argument (*), which cannot be checked
// before fmt allocates it. Used by the static check on literal formats and
// by the bounded printf at run time, so both say the same thing. The message
// does not quote the format (at run time it may come from customer data);
// the static check adds the literal itself.
func checkFormat(format string) error {
	total := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
	directive:
		for ; i < len(format); i++ {
			c := format[i]
			switch {
			case c == '+' || c == '-' || c == '#' || c == ' ' || c == '.':
			case c == '[':
				for i < len(format) && format[i] != ']' {
					i++
				}
			case c == '*':
				return fmt.Errorf("takes a width or precision from an argument (*); write the number into the format (at most %d)", MaxFormatWidth)
			case c >= '0' && c <= '9':
				n, end := leadingNumber(format[i:])
				if n > MaxFormatWidth {
					return fmt.Errorf("has a width or precision over the limit of %d; use a smaller number", MaxFormatWidth)
				}
				total += n
				i += end - 1
			default:
				break directive // the verb letter ends this directive
			}
		}
	}
	if total > MaxTemplateOutputBytes {
		return fmt.Errorf("pads to %d bytes in total, over the limit of %d; use smaller widths", total, MaxTemplateOutputBytes)
	}
	return nil
}

// leadingNumber parses the decimal digits at the start of s, saturating just
// above MaxFormatWidth so a 40-digit width cannot overflow; end is the
// number of digits.
func leadingNumber(s string) (n, end int) {
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		if n <= MaxFormatWidth {
			n = n*10 + int(s[end]-'0')
		}
		end++
	}
	return n, end
}
