/** The XML both halves of the SNS endpoint write (publishing and subscriptions). */
import { escapeXml } from '../http-util';

export const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

export const tag = (name: string, value: string | undefined) => (value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`);
